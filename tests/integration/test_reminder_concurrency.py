"""Reminder runs racing each other on PostgreSQL, with real threads: the unique (invoice, step) row
inserted with the email is the guard, so each step goes out once whoever runs it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from invoicing.models import InvoiceReminder
from invoicing.services.reminders import send_due_reminders
from tests.factories import make_website, open_invoice
from tests.threads import run_together

from .reminder_helpers import scheduled_emails, set_steps

THREADS = 8

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_runs_send_each_step_once_per_invoice():
    site = make_website("remind-race.test")
    set_steps(site, "before_3", "on_due", "after_7", every=5)
    today = timezone.localdate()
    # Each invoice has a different step due today (and, for some, earlier ones missed).
    invoices = [open_invoice(site, due_date=today - timedelta(days=offset))[0] for offset in (-3, 0, 7, 12, 17)]
    now = timezone.now()
    results = run_together(lambda _: send_due_reminders(now=now), range(THREADS))
    assert not [result for result in results if isinstance(result, Exception)]
    assert sum(result.sent for result in results) == len(invoices)
    for invoice in invoices:
        assert scheduled_emails(invoice).count() == 1
    steps = list(InvoiceReminder.objects.filter(skipped=False).order_by("invoice_id").values_list("step", flat=True))
    assert steps == ["before_3", "on_due", "after_7", "repeat_1", "repeat_2"]
    # and the next run, later the same day, finds nothing left to do
    assert send_due_reminders(now=now + timedelta(hours=1)).sent == 0
