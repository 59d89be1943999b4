"""The reminder schedule over time, with the clock travelled day by day: each step on its date and
once, repeats every N days, downtime caught up with one reminder, pause and resume, payments."""

from datetime import time, timedelta

import pytest

from invoicing.models import InvoiceEvent, InvoiceReminder
from invoicing.services.outbox import send_invoice_email
from invoicing.services.payments import record_manual_payment
from invoicing.services.reminders import pause_reminders, resume_reminders
from tests.factories import open_invoice

from .reminder_helpers import START, at, days, reminder_dates, run_on, scheduled_emails, set_steps

pytestmark = pytest.mark.django_db

DUE = START + timedelta(days=10)


def issued(site, due=DUE, issued_on=START):
    with at(issued_on):
        return open_invoice(site, due_date=due)[0]


def test_over_fourteen_months_each_step_goes_once_on_its_date_then_every_n_days(site_a):
    set_steps(site_a, "before_3", "on_due", "after_7", "after_30", every=14)
    invoice = issued(site_a)
    for day in days(START, 430):
        run_on(day)
    sent = reminder_dates(invoice)
    expected = [("before_3", DUE - timedelta(days=3)), ("on_due", DUE), ("after_7", DUE + timedelta(days=7))]
    last = DUE + timedelta(days=30)
    expected.append(("after_30", last))
    number = 1
    while last + timedelta(days=14 * number) < START + timedelta(days=430):
        expected.append((f"repeat_{number}", last + timedelta(days=14 * number)))
        number += 1
    assert sent == expected
    assert scheduled_emails(invoice).count() == len(expected) == 4 + 27
    assert not InvoiceReminder.objects.filter(skipped=True).exists()


def test_the_migrated_default_reminds_the_day_after_the_due_date_then_every_seven_days(site_a):
    invoice = issued(site_a)  # the default settings: "the day after the due date", then every 7 days
    for day in days(START, 60):
        run_on(day)
    assert [on - DUE for _, on in reminder_dates(invoice)] == [timedelta(days=n) for n in (1, 8, 15, 22, 29, 36, 43)]


def test_reminders_sent_before_the_steps_existed_count_so_the_change_sends_nothing_again(site_a):
    invoice = issued(site_a)
    # What the previous code did: a scheduled reminder the day after the due date and a week later.
    for day in (DUE + timedelta(days=1), DUE + timedelta(days=8)):
        with at(day):
            send_invoice_email(invoice, "reminder", trigger="schedule")
    for day in days(DUE + timedelta(days=8), 10):
        run_on(day)
    assert reminder_dates(invoice) == [("repeat_2", DUE + timedelta(days=15))]
    assert scheduled_emails(invoice).count() == 3


def test_after_twenty_days_of_downtime_only_the_latest_step_goes_and_the_others_are_skipped(site_a):
    set_steps(site_a, "before_3", "on_due", "after_7", "after_14", every=0)
    invoice = issued(site_a)
    run = run_on(DUE + timedelta(days=16))  # nothing ran since the invoice was issued
    assert (run.sent, run.skipped) == (1, 3)
    assert reminder_dates(invoice) == [("after_14", DUE + timedelta(days=16))]
    skipped = InvoiceReminder.objects.filter(invoice=invoice, skipped=True)
    assert sorted(skipped.values_list("step", flat=True)) == ["after_7", "before_3", "on_due"]
    event = InvoiceEvent.objects.get(invoice=invoice, kind=InvoiceEvent.Kind.REMINDER_SKIPPED)
    assert "On the due date" in event.data["steps"] and "only the latest" in event.data["reason"]
    for day in days(DUE + timedelta(days=16), 60):
        run_on(day)
    assert scheduled_emails(invoice).count() == 1  # no step left, no repeat


def test_running_twice_the_same_day_sends_once(site_a):
    invoice = issued(site_a)
    first, second = run_on(DUE + timedelta(days=1)), run_on(DUE + timedelta(days=1))
    assert (first.sent, second.sent) == (1, 0)
    assert scheduled_emails(invoice).count() == 1


def test_a_payment_between_two_steps_ends_the_reminders(site_a, admin_user):
    set_steps(site_a, "on_due", "after_7", "after_14", every=7)
    invoice = issued(site_a)
    for day in days(START, 14):
        run_on(day)
    with at(DUE + timedelta(days=4)):
        record_manual_payment(invoice, reason="Bank transfer", by=admin_user)
    for day in days(START + timedelta(days=14), 60):
        run_on(day)
    assert [step for step, _ in reminder_dates(invoice)] == ["on_due"]


def test_paused_reminders_resume_with_the_next_step_not_a_burst(site_a, admin_user):
    set_steps(site_a, "on_due", "after_7", "after_14", every=10)
    invoice = issued(site_a)
    with at(START + timedelta(days=1)):
        pause_reminders(invoice, by=admin_user)
    for day in days(START, 30):
        run_on(day)
    assert not scheduled_emails().exists()
    with at(DUE + timedelta(days=20)):
        resume_reminders(invoice, by=admin_user)
    for day in days(DUE + timedelta(days=20), 6):
        run_on(day)
    assert reminder_dates(invoice) == [("repeat_1", DUE + timedelta(days=24))]
    skipped = InvoiceReminder.objects.filter(invoice=invoice, skipped=True).values_list("step", flat=True)
    assert sorted(skipped) == ["after_14", "after_7", "on_due"]
    kinds = list(InvoiceEvent.objects.filter(invoice=invoice).values_list("kind", flat=True))
    assert {"reminders_paused", "reminders_resumed", "reminder_skipped"} <= set(kinds)


def test_a_manual_email_yesterday_makes_the_scheduled_step_wait_a_day(site_a, admin_user):
    invoice = issued(site_a)
    with at(DUE, hour=time(15)):
        send_invoice_email(invoice, "reminder", by=admin_user)
    waiting = run_on(DUE + timedelta(days=1))
    assert (waiting.sent, waiting.waiting) == (0, 1)
    run_on(DUE + timedelta(days=2))
    assert reminder_dates(invoice) == [("after_1", DUE + timedelta(days=2))]
    for day in days(DUE + timedelta(days=2), 7):
        run_on(day)
    assert [step for step, _ in reminder_dates(invoice)] == ["after_1", "repeat_1"]


def test_a_step_dated_before_the_invoice_was_issued_is_not_sent(site_a):
    set_steps(site_a, "before_7", "before_3", every=0)
    invoice = issued(site_a, due=START + timedelta(days=5))  # 7 days before is before it existed
    for day in days(START, 20):
        run_on(day)
    assert reminder_dates(invoice) == [("before_3", START + timedelta(days=2))]
