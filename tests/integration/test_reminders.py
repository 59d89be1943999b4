from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from invoicing.models import BillingSettings, OutboundEmail
from invoicing.services import invoices as invoice_services
from invoicing.services.reminders import send_due_reminders
from tests.factories import open_invoice


@pytest.fixture
def overdue(site_a):
    return open_invoice(site_a, due_date=timezone.localdate() - timedelta(days=3), title="Late one")[0]


def reminders_for(invoice):
    return OutboundEmail.objects.filter(invoice=invoice, kind="reminder")


def test_an_overdue_invoice_is_reminded_once_per_interval(overdue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0  # the same day: nothing more
    assert reminders_for(overdue).count() == 1
    assert [message.to for message in mail.outbox] == [[overdue.client.email]]
    assert "Reminder" in mail.outbox[0].subject
    later = timezone.now() + timedelta(days=7, minutes=1)
    assert send_due_reminders(now=later) == 1
    assert reminders_for(overdue).count() == 2


def test_invoices_not_yet_due_paid_or_void_are_not_reminded(site_a):
    open_invoice(site_a, due_date=timezone.localdate() + timedelta(days=1))
    void, _ = open_invoice(site_a, due_date=timezone.localdate() - timedelta(days=9))
    invoice_services.void_invoice(void, reason="Cancelled")
    assert send_due_reminders() == 0
    assert not OutboundEmail.objects.exists()


def test_a_site_can_turn_reminders_off(site_a, site_b, overdue):
    billing = BillingSettings.for_site(site_a)
    billing.reminder_interval_days = 0
    billing.save()
    other = open_invoice(site_b, due_date=timezone.localdate() - timedelta(days=1))[0]
    assert send_due_reminders() == 1
    assert not reminders_for(overdue).exists() and reminders_for(other).exists()


def test_a_failed_reminder_does_not_count_as_sent(overdue):
    send_due_reminders()
    reminders_for(overdue).update(status=OutboundEmail.Status.FAILED)
    assert send_due_reminders() == 1


def test_the_command_for_cron(overdue, capsys):
    call_command("send_reminders")
    assert "1 reminder(s) queued." in capsys.readouterr().out
