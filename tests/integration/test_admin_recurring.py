"""Recurring schedules in the admin: the listing (interval in words, next run, last invoice), pause,
resume and end through ``services.recurring``, the schedule's invoices, the invoice's link back, and
per-website access. Today is 5 March 2026 throughout: a monthly schedule from 31 January has billed
31 January and 28 February, and bills next on 31 March."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from invoicing.admin.schedules import describe_interval
from invoicing.models import Invoice, RecurringSchedule
from invoicing.services.recurring import generate_recurring_invoices
from tests.factories import ClientFactory, open_invoice

from .recurring_admin_data import invoice_template, recurring_schedule

LIST_URL = "wagtailsnippets_invoicing_recurringschedule:list"
ADD_URL = "wagtailsnippets_invoicing_recurringschedule:add"
EDIT_URL = "wagtailsnippets_invoicing_recurringschedule:edit"
INSPECT_URL = "wagtailsnippets_invoicing_recurringschedule:inspect"
CHOOSER_URL = "wagtailsnippetchoosers_invoicing_recurringschedule:choose"
INVOICE_LIST_URL = "wagtailsnippets_invoicing_invoice:list"
INVOICE_INSPECT_URL = "wagtailsnippets_invoicing_invoice:inspect"
TODAY = date(2026, 3, 5)
Status = RecurringSchedule.Status


def action_url(name, schedule):
    return reverse(f"wagtailsnippets_invoicing_recurringschedule:{name}", args=[schedule.pk])


@pytest.fixture(autouse=True)
def fifth_of_march():
    with time_machine.travel(datetime(2026, 3, 5, 10, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def clerk_client(client, acme_clerk):
    client.force_login(acme_clerk)
    return client


@pytest.fixture
def acme_schedule(site_a):
    """Monthly on the 31st from 31 January 2026, leaving drafts: two periods billed by today."""
    client = ClientFactory(site=site_a, name="Acme Subscriber")
    template = invoice_template(site_a, name="Acme hosting", client=client)
    schedule = recurring_schedule(site_a, name="Acme hosting, monthly", template=template, client=client)
    generate_recurring_invoices(today=TODAY)
    return schedule


@pytest.fixture
def globex_schedule(site_b):
    return recurring_schedule(site_b, name="Globex secret subscription", interval_count=2, anchor_day=31)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"interval": "month", "interval_count": 2, "anchor_day": 31}, "Every 2 months on the 31st"),
        ({"interval": "month", "interval_count": 1, "start_date": date(2026, 1, 2)}, "Every month on the 2nd"),
        ({"interval": "week", "interval_count": 1, "start_date": date(2026, 3, 2)}, "Every week on Monday"),
        ({"interval": "week", "interval_count": 3, "start_date": date(2026, 3, 6)}, "Every 3 weeks on Friday"),
        ({"interval": "quarter", "interval_count": 1, "anchor_day": 1}, "Every quarter on the 1st"),
        ({"interval": "year", "interval_count": 1, "start_date": date(2026, 3, 15)}, "Every year on March 15"),
    ],
)
def test_the_interval_in_words(fields, words):
    fields = {"start_date": date(2026, 1, 31), "anchor_day": None, **fields}
    assert describe_interval(RecurringSchedule(**fields)) == words


def test_the_listing_shows_interval_status_next_run_and_last_invoice(admin_client, acme_schedule):
    body = admin_client.get(reverse(LIST_URL)).content.decode()
    row = next(row for row in body.split("<tr")[1:] if "Acme hosting, monthly" in row).replace("\u2009", " ")
    last = Invoice.objects.get(schedule=acme_schedule, period_start=date(2026, 2, 28))
    assert "Every month on the 31st" in row and "Active" in row and "Acme Subscriber" in row
    assert "March 31, 2026" in row  # the next run
    assert f'href="{reverse(INVOICE_INSPECT_URL, args=[last.pk])}"' in row
    assert "Feb 28" in row and "Mar 30, 2026" in row  # the last invoice's period


def test_the_listing_filters_by_status_and_interval(admin_client, acme_schedule, globex_schedule):
    RecurringSchedule.objects.filter(pk=globex_schedule.pk).update(status=Status.PAUSED)
    body = admin_client.get(reverse(LIST_URL), {"status": "paused"}).content.decode()
    assert "Globex secret subscription" in body and "Acme hosting, monthly" not in body
    body = admin_client.get(reverse(LIST_URL), {"interval": "week"}).content.decode()
    assert "Globex secret subscription" not in body and "Acme hosting, monthly" not in body


def test_pause_resume_and_end_go_through_the_service(admin_client, acme_schedule):
    listing = admin_client.get(reverse(LIST_URL)).content.decode()
    assert action_url("pause", acme_schedule) in listing and action_url("end", acme_schedule) in listing
    assert action_url("resume", acme_schedule) not in listing

    assert "No invoice is created" in admin_client.get(action_url("pause", acme_schedule)).content.decode()
    acme_schedule.refresh_from_db()
    assert acme_schedule.status == Status.ACTIVE  # GET only asks

    response = admin_client.post(action_url("pause", acme_schedule), follow=True)
    acme_schedule.refresh_from_db()
    assert acme_schedule.status == Status.PAUSED
    assert messages_of(response) == ["Schedule “Acme hosting, monthly” paused."]
    assert response.redirect_chain[-1][0] == reverse(INSPECT_URL, args=[acme_schedule.pk])
    assert "data-schedule-next-run>–<" in response.content.decode()  # paused: no next run

    response = admin_client.post(action_url("resume", acme_schedule), follow=True)
    acme_schedule.refresh_from_db()
    assert (acme_schedule.status, acme_schedule.resumed_on) == (Status.ACTIVE, TODAY)
    assert messages_of(response) == ["Schedule “Acme hosting, monthly” resumed."]

    response = admin_client.post(action_url("end", acme_schedule) + "?next=" + reverse(LIST_URL), follow=True)
    acme_schedule.refresh_from_db()
    assert acme_schedule.status == Status.ENDED and acme_schedule.ended_at is not None
    assert response.redirect_chain[-1][0] == reverse(LIST_URL)

    # Each move is in the schedule's history.
    history = admin_client.get(
        reverse(RecurringSchedule.snippet_viewset.get_url_name("history"), args=[acme_schedule.pk])
    )
    moves = re.findall(r"\b(Paused|Resumed|Ended)\b", history.content.decode())
    assert moves[:3] == ["Ended", "Resumed", "Paused"]


def test_a_forbidden_move_shows_the_services_error(admin_client, acme_schedule):
    admin_client.post(action_url("end", acme_schedule))
    response = admin_client.post(action_url("resume", acme_schedule), follow=True)
    acme_schedule.refresh_from_db()
    assert acme_schedule.status == Status.ENDED
    assert messages_of(response)[-1] == "The schedule “Acme hosting, monthly” is ended and cannot become active."


def test_an_ended_schedule_cannot_be_edited(admin_client, acme_schedule):
    admin_client.post(action_url("end", acme_schedule))
    response = admin_client.get(reverse(EDIT_URL, args=[acme_schedule.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse(INSPECT_URL, args=[acme_schedule.pk])
    assert "has ended and can no longer be edited" in messages_of(response)[-1]
    body = response.content.decode()
    assert action_url("resume", acme_schedule) not in body and action_url("pause", acme_schedule) not in body


def test_the_inspect_view_lists_the_invoices_it_created(admin_client, acme_schedule):
    body = admin_client.get(reverse(INSPECT_URL, args=[acme_schedule.pk])).content.decode()
    invoices = body.split("data-schedule-invoices", 1)[1].split("</table>", 1)[0].replace("\u2009", " ")
    assert invoices.count("<tr>") == 1 + 2
    for invoice in Invoice.objects.filter(schedule=acme_schedule):
        assert f'href="{reverse(INVOICE_INSPECT_URL, args=[invoice.pk])}"' in invoices
    assert "Jan 31" in invoices and "Feb 27, 2026" in invoices  # the first period, 31 January – 27 February
    assert "170.00 EUR" in invoices and "Draft" in invoices
    assert "data-schedule-next-run>March 31, 2026<" in body
    assert action_url("pause", acme_schedule) in body  # the header's buttons


def test_an_invoice_links_back_to_its_schedule_and_period(admin_client, acme_schedule):
    invoice = Invoice.objects.get(schedule=acme_schedule, period_start=date(2026, 1, 31))
    body = admin_client.get(reverse(INVOICE_INSPECT_URL, args=[invoice.pk])).content.decode()
    link = body.split("data-invoice-schedule>", 1)[1].split("</dd>", 1)[0].replace("\u2009", " ")
    assert f'<a href="{reverse(INSPECT_URL, args=[acme_schedule.pk])}">Acme hosting, monthly</a>' in link
    assert "period Jan 31 – Feb 27, 2026" in link
    one_off = open_invoice(acme_schedule.site)[0]
    assert (
        "data-invoice-schedule"
        not in admin_client.get(reverse(INVOICE_INSPECT_URL, args=[one_off.pk])).content.decode()
    )


def test_the_origin_filter_tells_recurring_from_one_off_invoices(admin_client, acme_schedule, site_a):
    one_off, _link = open_invoice(site_a, title="Consulting, once")
    recurring = list(Invoice.objects.filter(schedule=acme_schedule))
    body = admin_client.get(reverse(INVOICE_LIST_URL), {"origin": "recurring"}).content.decode()
    assert all(reverse(INVOICE_INSPECT_URL, args=[invoice.pk]) in body for invoice in recurring)
    assert "Consulting, once" not in body
    body = admin_client.get(reverse(INVOICE_LIST_URL), {"origin": "one_off"}).content.decode()
    assert "Consulting, once" in body and "Hosting" not in body


def test_a_clerk_never_sees_another_websites_schedule(clerk_client, acme_schedule, globex_schedule):
    listing = clerk_client.get(reverse(LIST_URL)).content.decode()
    assert "Acme hosting, monthly" in listing and "Globex secret subscription" not in listing
    assert "Globex secret subscription" not in clerk_client.get(reverse(CHOOSER_URL)).content.decode()
    for url in (EDIT_URL, INSPECT_URL):
        assert clerk_client.get(reverse(url, args=[globex_schedule.pk])).status_code == 404
    for name in ("pause", "resume", "end"):
        assert clerk_client.get(action_url(name, globex_schedule)).status_code == 404
        assert clerk_client.post(action_url(name, globex_schedule)).status_code == 404
    globex_schedule.refresh_from_db()
    assert globex_schedule.status == Status.ACTIVE


def test_a_clerk_can_pause_their_own_websites_schedule(clerk_client, acme_schedule):
    clerk_client.post(action_url("pause", acme_schedule))
    acme_schedule.refresh_from_db()
    assert acme_schedule.status == Status.PAUSED


def schedule_form(site, template, client, **fields):
    return {
        "site": site.pk,
        "name": "Retainer",
        "template": template.pk,
        "client": client.pk,
        "interval": "month",
        "interval_count": "1",
        "anchor_day": "31",
        "start_date": "2026-04-01",
        "end_date": "",
        "max_invoices": "12",
        "action": "send",
        **fields,
    }


def test_creating_a_schedule_starts_it_active(admin_client, site_a):
    client = ClientFactory(site=site_a)
    response = admin_client.post(reverse(ADD_URL), schedule_form(site_a, invoice_template(site_a), client))
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = RecurringSchedule.objects.get()
    assert (schedule.status, schedule.anchor_day, schedule.max_invoices) == (Status.ACTIVE, 31, 12)


def test_a_posted_status_is_ignored(admin_client, acme_schedule):
    admin_client.post(action_url("end", acme_schedule))
    data = schedule_form(acme_schedule.site, acme_schedule.template, acme_schedule.client, status="active")
    admin_client.post(reverse(EDIT_URL, args=[acme_schedule.pk]), data)
    acme_schedule.refresh_from_db()
    assert acme_schedule.status == Status.ENDED and acme_schedule.name == "Acme hosting, monthly"


def test_a_clerk_cannot_schedule_another_websites_template(clerk_client, site_a, site_b):
    client = ClientFactory(site=site_a)
    response = clerk_client.post(reverse(ADD_URL), schedule_form(site_a, invoice_template(site_b), client))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not RecurringSchedule.objects.exists()
