"""Recurring runs racing each other, with real threads and row locks: on PostgreSQL only (SQLite
serialises writers, so it would hide a missing ``select_for_update``)."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from invoicing.models import Invoice, OutboundEmail
from invoicing.models import RecurringSchedule as Schedule
from invoicing.services.recurring import generate_recurring_invoices
from tests.factories import make_website
from tests.integration.test_recurring import make_schedule
from tests.threads import run_together

THREADS = 8

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_runs_at_once_after_downtime_bill_each_period_once_without_error():
    site = make_website("recurring-race.test", prefix="RR", number_format="{prefix}-{number:04}")
    monthly = make_schedule(site, name="Monthly", action=Schedule.Action.SEND, start_date=date(2026, 1, 1))
    weekly = make_schedule(
        site, name="Weekly", action=Schedule.Action.ISSUE, interval="week", start_date=date(2026, 3, 2)
    )
    capped = make_schedule(site, name="Capped", start_date=date(2026, 1, 15), max_invoices=2)

    with time_machine.travel(datetime(2026, 4, 20, 6, tzinfo=UTC), tick=False):
        runs = run_together(lambda _: generate_recurring_invoices(), range(THREADS))

    assert not [run for run in runs if isinstance(run, Exception)]
    assert [run.errors for run in runs] == [{}] * THREADS
    assert sum(run.created for run in runs) == 4 + 8 + 2
    assert sorted(monthly.invoices.values_list("period_start", flat=True)) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]
    assert weekly.invoices.count() == 8
    assert capped.invoices.count() == 2
    # Issued with gapless numbers, and one invoice email per period.
    numbers = sorted(Invoice.objects.exclude(number="").values_list("number", flat=True))
    assert numbers == [f"RR-{n:04d}" for n in range(1, 13)]
    assert OutboundEmail.objects.filter(invoice__schedule=monthly, kind="invoice").count() == 4
    capped.refresh_from_db()
    assert capped.status == Schedule.Status.ENDED
