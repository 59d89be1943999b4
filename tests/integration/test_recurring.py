"""Recurring invoices over time: ``manage.py generate_recurring_invoices`` run every day, at random
gaps, after downtime, twice; the end date and the count; pause and resume; the three actions."""

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from invoicing.core.exceptions import InvalidTransition
from invoicing.models import AutoCharge, Invoice, InvoiceTemplate, InvoiceTemplateLine, OutboundEmail, SavedCard
from invoicing.models import RecurringSchedule as Schedule
from invoicing.services.recurring import (
    end_schedule,
    generate_recurring_invoices,
    last_invoice,
    next_run_date,
    pause_schedule,
    resume_schedule,
)
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def make_template(site, *, lines=True, **fields):
    template = InvoiceTemplate(
        site=site,
        name=fields.pop("name", "Hosting"),
        title=fields.pop("title", "Hosting {period_label}"),
        currency="EUR",
        payment_terms_days=fields.pop("payment_terms_days", 14),
        **fields,
    )
    if lines:
        template.lines = [
            InvoiceTemplateLine(
                description="Hosting from {period_start} to {period_end}", quantity=1, unit_price=Decimal("50.00")
            )
        ]
    template.save()
    return template


def make_schedule(site, *, template=None, client=None, **fields):
    fields = {"interval": "month", "start_date": date(2026, 1, 1), "action": Schedule.Action.DRAFT, **fields}
    return Schedule.objects.create(
        site=site,
        name=fields.pop("name", "Hosting"),
        template=template or make_template(site),
        client=client or ClientFactory(site=site),
        **fields,
    )


def at(day):
    return datetime.combine(day, time(6), tzinfo=UTC)


def run_command(day):
    """``manage.py generate_recurring_invoices`` on the morning of ``day``; its output."""
    out = StringIO()
    with time_machine.travel(at(day), tick=False):
        call_command("generate_recurring_invoices", stdout=out, stderr=out)
    return out.getvalue()


def run_service(day):
    with time_machine.travel(at(day), tick=False):
        return generate_recurring_invoices()


def days(first, last, step=1):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=step)


def periods(schedule):
    return list(schedule.invoices.order_by("period_start").values_list("period_start", "period_end"))


def test_a_monthly_schedule_on_the_31st_run_every_day_for_14_months_bills_each_month_once(site_a):
    schedule = make_schedule(site_a, start_date=date(2026, 1, 31))
    for day in days(date(2026, 1, 1), date(2027, 2, 28)):
        run_command(day)
    assert periods(schedule) == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 29)),
        (date(2026, 4, 30), date(2026, 5, 30)),
        (date(2026, 5, 31), date(2026, 6, 29)),
        (date(2026, 6, 30), date(2026, 7, 30)),
        (date(2026, 7, 31), date(2026, 8, 30)),
        (date(2026, 8, 31), date(2026, 9, 29)),
        (date(2026, 9, 30), date(2026, 10, 30)),
        (date(2026, 10, 31), date(2026, 11, 29)),
        (date(2026, 11, 30), date(2026, 12, 30)),
        (date(2026, 12, 31), date(2027, 1, 30)),
        (date(2027, 1, 31), date(2027, 2, 27)),
        (date(2027, 2, 28), date(2027, 3, 30)),
    ]
    for invoice in schedule.invoices.all():
        # Created on its period's first day, due 14 days (the template's terms) after it.
        assert invoice.created_at.date() == invoice.period_start
        assert invoice.due_date == invoice.period_start + timedelta(days=14)
    assert next_run_date(schedule, today=date(2027, 2, 28)) == date(2027, 3, 31)


@pytest.mark.parametrize(
    ("interval", "count", "start_date", "expected"),
    [
        ("week", 1, date(2026, 1, 5), 60),
        ("week", 2, date(2026, 1, 5), 30),
        ("month", 1, date(2026, 1, 1), 14),
        ("month", 3, date(2026, 1, 1), 5),
        ("quarter", 1, date(2026, 1, 1), 5),
        ("year", 1, date(2024, 2, 29), 4),
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_runs_at_random_gaps_bill_every_period_exactly_once(site_a, interval, count, start_date, expected, seed):
    schedule = make_schedule(site_a, interval=interval, interval_count=count, start_date=start_date)
    gaps = random.Random(seed)
    day, last = date(2026, 1, 1), date(2027, 2, 28)
    while day < last:
        run_service(day)
        day += timedelta(days=gaps.randint(1, 45))
    run_service(last)
    cadence = schedule.cadence
    assert periods(schedule) == [(cadence.start(k), cadence.start(k + 1) - timedelta(days=1)) for k in range(expected)]
    assert cadence.start(expected - 1) <= last < cadence.start(expected)


def test_yearly_on_29_february_is_billed_on_the_28th_in_common_years_and_the_29th_in_leap_years(site_a):
    schedule = make_schedule(site_a, interval="year", start_date=date(2024, 2, 29))
    for day in (date(2024, 3, 1), date(2025, 2, 27), date(2025, 2, 28), date(2027, 12, 1), date(2028, 2, 29)):
        run_service(day)
    assert [start for start, _ in periods(schedule)] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_after_three_months_of_downtime_every_missed_period_is_created_with_its_own_dates(site_a):
    schedule = make_schedule(site_a, start_date=date(2026, 1, 1))
    run_service(date(2026, 1, 1))
    run = run_service(date(2026, 4, 15))  # nothing ran from 2 January to 14 April
    assert (run.created, run.errors) == (3, {})
    invoices = list(schedule.invoices.order_by("period_start"))
    assert [(i.period_start, i.period_end, i.due_date) for i in invoices] == [
        (date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 15)),
        (date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 15)),
        (date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 15)),
        (date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 15)),
    ]
    assert [i.title for i in invoices] == [
        "Hosting January 2026",
        "Hosting February 2026",
        "Hosting March 2026",
        "Hosting April 2026",
    ]
    assert invoices[1].lines.get().description == "Hosting from February 1, 2026 to February 28, 2026"
    # The anchor is kept: the next period is 1 May, not a month after the catch-up.
    assert next_run_date(schedule, today=date(2026, 4, 15)) == date(2026, 5, 1)


def test_after_ten_days_of_downtime_a_weekly_schedule_catches_up_each_week(site_a):
    schedule = make_schedule(site_a, interval="week", start_date=date(2026, 3, 2))
    run_service(date(2026, 3, 2))
    run_service(date(2026, 3, 19))  # 10 days without a run, two Mondays missed
    assert periods(schedule) == [
        (date(2026, 3, 2), date(2026, 3, 8)),
        (date(2026, 3, 9), date(2026, 3, 15)),
        (date(2026, 3, 16), date(2026, 3, 22)),
    ]
    # babel writes the range with thin spaces around the dash.
    assert schedule.invoices.get(period_start=date(2026, 3, 9)).title == "Hosting Mar 9\u2009–\u200915, 2026"


def test_running_twice_changes_nothing(site_a):
    schedule = make_schedule(site_a, action=Schedule.Action.SEND)
    assert "3 recurring invoice(s) created" in run_command(date(2026, 3, 10))
    snapshot = list(Invoice.objects.values_list("pk", "number", "period_start", "status"))
    assert "0 recurring invoice(s) created" in run_command(date(2026, 3, 10))
    assert run_service(date(2026, 3, 31)).created == 0
    assert list(Invoice.objects.values_list("pk", "number", "period_start", "status")) == snapshot
    assert OutboundEmail.objects.filter(invoice__schedule=schedule).count() == 3


def test_the_end_date_ends_the_schedule(site_a):
    schedule = make_schedule(site_a, start_date=date(2026, 1, 15), end_date=date(2026, 4, 15))
    for day in days(date(2026, 1, 1), date(2026, 8, 1), step=3):
        run_service(day)
    assert [start for start, _ in periods(schedule)] == [
        date(2026, 1, 15),
        date(2026, 2, 15),
        date(2026, 3, 15),
        date(2026, 4, 15),
    ]
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.ENDED
    # Ended by the run that billed the last period, as the next period starts after the end date.
    assert schedule.ended_at == last_invoice(schedule).created_at
    assert next_run_date(schedule) is None


def test_the_number_of_invoices_ends_the_schedule_even_after_downtime(site_a):
    schedule = make_schedule(site_a, interval="week", start_date=date(2026, 1, 5), max_invoices=3)
    run = run_service(date(2026, 6, 1))
    assert (run.created, run.ended) == (3, 1)
    assert len(periods(schedule)) == 3
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.ENDED
    assert last_invoice(schedule).period_start == date(2026, 1, 19)
    assert run_service(date(2026, 7, 1)).created == 0


def test_pause_skips_the_periods_that_start_while_paused_and_resume_bills_from_then_on(site_a):
    schedule = make_schedule(site_a, start_date=date(2026, 1, 1))
    run_service(date(2026, 1, 1))
    with time_machine.travel(at(date(2026, 1, 20)), tick=False):
        pause_schedule(schedule)
    assert schedule.status == Schedule.Status.PAUSED
    assert next_run_date(schedule) is None
    for day in days(date(2026, 1, 20), date(2026, 4, 9), step=2):
        run_service(day)
    assert len(periods(schedule)) == 1
    with time_machine.travel(at(date(2026, 4, 10)), tick=False):
        resume_schedule(schedule)
    assert schedule.resumed_on == date(2026, 4, 10)
    # February, March and April started while it was paused: skipped, not billed late.
    assert next_run_date(schedule, today=date(2026, 4, 10)) == date(2026, 5, 1)
    for day in days(date(2026, 4, 10), date(2026, 6, 5)):
        run_service(day)
    assert [start for start, _ in periods(schedule)] == [date(2026, 1, 1), date(2026, 5, 1), date(2026, 6, 1)]


def test_a_period_starting_on_the_day_of_the_resume_is_billed(site_a):
    schedule = make_schedule(site_a, start_date=date(2026, 1, 1))
    pause_schedule(schedule)
    resume_schedule(schedule, today=date(2026, 3, 1))
    run_service(date(2026, 3, 1))
    assert [start for start, _ in periods(schedule)] == [date(2026, 3, 1)]


def test_only_the_allowed_moves_between_active_paused_and_ended(site_a):
    schedule = make_schedule(site_a)
    with pytest.raises(InvalidTransition, match="is active and cannot become active"):
        resume_schedule(schedule)
    pause_schedule(schedule)
    with pytest.raises(InvalidTransition, match="is paused and cannot become paused"):
        pause_schedule(schedule)
    end_schedule(schedule)
    assert schedule.ended_at is not None
    for move in (pause_schedule, resume_schedule, end_schedule):
        with pytest.raises(InvalidTransition, match="“Hosting” is ended"):
            move(schedule)
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.ENDED
    assert run_service(date(2026, 5, 1)).created == 0


def test_the_actions_draft_issue_and_send(site_a):
    drafts = make_schedule(site_a, name="Drafts", action=Schedule.Action.DRAFT)
    issued = make_schedule(site_a, name="Issued", action=Schedule.Action.ISSUE)
    sent = make_schedule(site_a, name="Sent", action=Schedule.Action.SEND)
    run = run_service(date(2026, 3, 5))
    assert (run.created, run.errors) == (9, {})
    assert {(i.status, i.number == "") for i in drafts.invoices.all()} == {("draft", True)}
    assert {(i.status, i.number == "") for i in issued.invoices.all()} == {("open", False)}
    assert {i.status for i in sent.invoices.all()} == {"open"}
    assert not OutboundEmail.objects.filter(invoice__schedule__in=[drafts, issued]).exists()
    emails = OutboundEmail.objects.filter(invoice__schedule=sent)
    assert sorted((e.invoice.period_start, e.kind) for e in emails) == [
        (date(2026, 1, 1), "invoice"),
        (date(2026, 2, 1), "invoice"),
        (date(2026, 3, 1), "invoice"),
    ]


def test_auto_charge_issues_without_emailing_when_the_client_has_a_saved_card(site_a):
    with_card, without_card = ClientFactory(site=site_a), ClientFactory(site=site_a)
    SavedCard.objects.create(client=with_card, customer_reference="cus_1", payment_method_reference="pm_1")
    charged = make_schedule(site_a, client=with_card, action=Schedule.Action.SEND, auto_charge=True)
    emailed = make_schedule(site_a, client=without_card, action=Schedule.Action.SEND, auto_charge=True)
    run_service(date(2026, 2, 1))
    assert {i.status for i in Invoice.objects.all()} == {"open"}
    assert AutoCharge.objects.filter(invoice__schedule=charged).count() == 2
    assert not OutboundEmail.objects.filter(invoice__schedule=charged).exists()
    assert not AutoCharge.objects.filter(invoice__schedule=emailed).exists()
    assert OutboundEmail.objects.filter(invoice__schedule=emailed, kind="invoice").count() == 2


def test_one_failing_schedule_neither_stops_the_others_nor_leaves_half_an_invoice(site_a, site_b):
    empty = make_template(site_a, name="No lines", lines=False)
    broken = make_schedule(site_a, name="Broken", template=empty, action=Schedule.Action.ISSUE)
    foreign = make_schedule(site_a, name="Foreign", client=ClientFactory(site=site_b))
    healthy = make_schedule(site_a, name="Healthy", action=Schedule.Action.ISSUE)
    run = run_service(date(2026, 2, 10))
    assert run.created == 2
    assert "Add at least one line" in run.errors[broken.pk]
    assert "belongs to another website" in run.errors[foreign.pk]
    assert not Invoice.objects.filter(schedule__in=[broken, foreign]).exists()
    assert len(periods(healthy)) == 2
    # Once its template is fixed, the next run bills every period the broken schedule missed.
    InvoiceTemplateLine.objects.create(template=empty, description="Support", unit_price=Decimal("10.00"))
    assert run_service(date(2026, 2, 11)).created == 2
    assert len(periods(broken)) == 2


def test_the_command_reports_errors(site_a, site_b):
    broken = make_schedule(site_a, name="Foreign", client=ClientFactory(site=site_b))
    output = run_command(date(2026, 1, 2))
    assert "0 recurring invoice(s) created" in output
    assert f"Schedule {broken.pk}: The client" in output


def test_a_schedule_whose_client_or_template_is_another_websites_is_refused(site_a, site_b):
    schedule = Schedule(
        site=site_a,
        name="Mixed",
        template=make_template(site_b),
        client=ClientFactory(site=site_b),
        interval="week",
        anchor_day=3,
        start_date=date(2026, 3, 1),
        end_date=date(2026, 2, 1),
    )
    with pytest.raises(ValidationError) as refused:
        schedule.full_clean()
    assert set(refused.value.message_dict) == {"template", "client", "end_date", "anchor_day"}


def test_a_templates_unknown_placeholders_are_refused(site_a):
    template = InvoiceTemplate(
        site=site_a, name="T", title="Hosting {period_lable}", description="For {client_name}", currency="EUR"
    )
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert "{period_lable}" in refused.value.message_dict["title"][0]
    assert "{client_name}" in refused.value.message_dict["description"][0]
    line = InvoiceTemplateLine(template=template, description="{x.__class__} {period_end}", unit_price=1)
    with pytest.raises(ValidationError) as refused:
        line.full_clean(exclude=["template"])
    assert "{x.__class__}" in refused.value.message_dict["description"][0]
    template.title, template.description = "Hosting {period_label}", "{period_start} to {period_end}"
    template.full_clean()
