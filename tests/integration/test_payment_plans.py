"""Payment plans through their real interfaces: the service and its refusals, what "overdue" means
under a plan (an instalment past its date, while the invoice's final due date is ahead) in the
statistics, the admin's listing, the dashboard, the client's account and the reminders; the admin's
"Set payment plan" action and inspect panel; and the pay page, where a client sees the schedule,
chooses a plan the website offers, and pays the instalment due now by card (localstripe)."""

import html
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from invoicing.core.exceptions import InvalidTransition, ValidationFailed
from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import BillingSettings, CreditEntry, Invoice, InvoiceEvent, InvoiceReminder
from invoicing.services import invoices as invoice_services
from invoicing.services.accounts import overdue_amount
from invoicing.services.amounts_due import amounts_due, instalment_states
from invoicing.services.payments import apply_payment, pay_with_credit, record_manual_payment
from invoicing.services.plans import choose_plan, plan_offers, remove_plan, set_plan
from invoicing.services.stats import invoice_stats
from invoicing.services.tokens import resolve_payment_link
from tests.factories import ClientFactory, billing_staff, line, open_invoice
from tests.integration.reminder_helpers import at, run_on, set_steps

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def d(days):
    return TODAY() + timedelta(days=days)


def fresh(invoice):
    return Invoice.objects.get(pk=invoice.pk)


def path_of(url):
    return urlsplit(url).path


@pytest.fixture
def three_hundred(site_a):
    return open_invoice(site_a, lines=[line(unit_price="300.00")], due_date=d(90))


def enable_plans(site, options="2,3", minimum="0"):
    billing = BillingSettings.for_site(site)
    billing.plans_enabled = True
    billing.plan_instalment_options = options
    billing.plan_minimum_amount = Decimal(minimum)
    billing.save()


# The service.


def test_equal_instalments_put_the_remainder_on_the_last_and_fall_monthly(site_a):
    invoice, _ = open_invoice(site_a, lines=[line(unit_price="100.00")], due_date=d(120))
    first = TODAY().replace(day=31) if TODAY().day <= 28 else TODAY()
    set_plan(invoice, count=3, first_due=first)
    rows = list(invoice.instalments.values_list("sequence", "amount", "currency"))
    assert rows == [(1, Decimal("33.33"), "EUR"), (2, Decimal("33.33"), "EUR"), (3, Decimal("33.34"), "EUR")]
    dates = list(invoice.instalments.values_list("due_date", flat=True))
    assert dates[0] == first and all(a < b for a, b in zip(dates, dates[1:], strict=False))
    assert fresh(invoice).collect_by == first
    event = invoice.events.get(kind=InvoiceEvent.Kind.PLAN_SET)
    assert [row["amount"] for row in event.data["instalments"]] == ["33.33", "33.33", "33.34"]


@pytest.mark.parametrize(
    ("currency", "total", "expected"),
    [("JPY", "1000", ["333", "333", "334"]), ("KWD", "10.000", ["3.333", "3.333", "3.334"])],
)
def test_equal_instalments_respect_the_currency_exponent(site_a, currency, total, expected):
    invoice, _ = open_invoice(site_a, currency=currency, lines=[line(unit_price=total)])
    set_plan(invoice, count=3, first_due=d(1))
    assert [str(instalment.amount) for instalment in invoice.instalments.all()] == expected


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(1, "100.00"), (2, "100.00")], "add up to €200.00, but the invoice's total is €300.00"),
        ([(1, "100.00"), (1, "200.00")], "Instalment 2 must be due after instalment 1"),
        ([(2, "100.00"), (1, "200.00")], "Instalment 2 must be due after instalment 1"),
        ([(1, "100.005"), (2, "199.995")], "Instalment 1: EUR amounts have at most 2 decimal places"),
        ([(1, "0"), (2, "300.00")], "Instalment 1 must be more than zero"),
        ([(1, "300.00")], "from 2 to 24 instalments"),
        ([(n, "12.00") for n in range(1, 26)], "from 2 to 24 instalments"),
    ],
)
def test_a_plan_that_breaks_the_rules_is_refused_and_nothing_changes(three_hundred, rows, message):
    invoice, _ = three_hundred
    with pytest.raises(ValidationFailed) as error:
        set_plan(invoice, instalments=[(d(days), Decimal(amount)) for days, amount in rows])
    assert message in error.value.message
    assert not invoice.instalments.exists() and fresh(invoice).collect_by == d(90)
    assert not invoice.events.filter(kind=InvoiceEvent.Kind.PLAN_SET).exists()


def test_only_an_open_invoice_with_something_due_gets_a_plan(site_a):
    draft = invoice_services.create_invoice(
        site=site_a, client=ClientFactory(site=site_a), title="Work", lines=[line()]
    )
    paid, _ = open_invoice(site_a)
    record_manual_payment(paid, reason="Bank transfer", by=None)
    void, _ = open_invoice(site_a)
    invoice_services.void_invoice(void, reason="Duplicate")
    for invoice, word in ((draft, "draft"), (paid, "paid"), (void, "void")):
        with pytest.raises(InvalidTransition, match=f"is {word}: only an open invoice"):
            set_plan(invoice, count=2, first_due=d(1))


def test_payments_settle_the_earliest_instalments_and_move_the_next_due_date(three_hundred):
    invoice, link = three_hundred
    set_plan(invoice, instalments=[(d(-5), Decimal("100.00")), (d(25), Decimal("100.00")), (d(55), "100.00")])
    assert fresh(invoice).is_overdue  # instalment 1 is past its date; the due date is 90 days ahead
    result = apply_payment(invoice, method="manual", amount="130.00", currency="EUR", provider_reference="bank-1")
    invoice = fresh(invoice)
    assert [(s.paid, s.is_paid) for s in instalment_states(invoice)] == [
        (Decimal("100.00"), True),
        (Decimal("30.00"), False),
        (Decimal("0.00"), False),
    ]
    assert invoice.collect_by == d(25) and not invoice.is_overdue
    # A partial payment rotates the link, which stays bound to the balance; the card asks for instalment 2's rest.
    assert result.new_link is not None and invoice.payment_link.amount_due_minor == 17000
    assert amounts_due(invoice).now == Decimal("70.00")


def test_replacing_a_plan_counts_the_money_already_received(three_hundred):
    invoice, _ = three_hundred
    set_plan(invoice, count=3, first_due=d(-1))
    apply_payment(invoice, method="manual", amount="100.00", currency="EUR", provider_reference="bank-1")
    set_plan(invoice, instalments=[(d(-1), Decimal("150.00")), (d(30), Decimal("150.00"))])
    states = instalment_states(fresh(invoice))
    assert [(s.amount, s.paid) for s in states] == [(Decimal("150.00"), Decimal("100.00")), (150, 0)]
    assert fresh(invoice).collect_by == d(-1)
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PLAN_SET).latest("id").data["replaced"] is True

    remove_plan(invoice)
    assert fresh(invoice).collect_by == d(90) and not invoice.instalments.exists()
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PLAN_REMOVED).exists()
    with pytest.raises(InvalidTransition, match="has no payment plan"):
        remove_plan(invoice)


def test_credit_pays_what_is_due_now_like_the_card(three_hundred):
    invoice, _ = three_hundred
    set_plan(invoice, count=3, first_due=d(0))
    CreditEntry.objects.create(client=invoice.client, currency="EUR", amount=Decimal("500.00"), kind="added")
    result = pay_with_credit(invoice)
    assert result.payment.amount == Decimal("100.00")  # instalment 1, not the balance
    assert fresh(invoice).amount_due == Decimal("200.00")


# "Overdue" means an instalment is past its date.


@pytest.fixture
def overdue_instalment(site_a):
    """300.00 due in 90 days, in three instalments, the first 10 days past its date."""
    invoice, _ = open_invoice(site_a, lines=[line(unit_price="300.00")], due_date=d(90))
    set_plan(invoice, instalments=[(d(-10), Decimal("100.00")), (d(20), Decimal("100.00")), (d(50), "100.00")])
    return fresh(invoice)


def test_stats_age_the_invoice_from_its_overdue_instalment(site_a, overdue_instalment):
    [eur] = invoice_stats(Site.objects.all(), start=d(-30), end=d(0), as_of=TODAY())
    assert eur.overdue_count == 1 and eur.overdue_amount == Decimal("300.00")
    aging = {bucket.key: bucket.count for bucket in eur.aging}
    assert aging["1_30"] == 1 and aging["current"] == 0


def test_the_admin_listing_dashboard_and_account_count_the_overdue_instalment(admin_client, overdue_instalment):
    listing = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:list"), {"overdue": "true"})
    assert overdue_instalment.number in listing.content.decode()
    dashboard = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert re.search(r'data-figure="overdue-amount">[^<]*300\.00', dashboard)
    assert re.search(r'data-figure="overdue-count">\(1 invoice\)', dashboard)
    # The client's account: only the instalment past its date is overdue.
    assert overdue_amount(overdue_instalment, TODAY()) == Decimal("100.00")
    assert Invoice.objects.overdue().filter(pk=overdue_instalment.pk).exists()


def test_reminders_follow_each_instalment(site_a):
    set_steps(site_a, "after_1")
    start = TODAY()
    invoice, _ = open_invoice(site_a, lines=[line(unit_price="200.00")], due_date=start + timedelta(days=80))
    set_plan(invoice, instalments=[(start + timedelta(days=10), Decimal("100.00")), (start + timedelta(days=40), 100)])
    assert run_on(start + timedelta(days=5)).sent == 0  # nothing is due yet, although a plan exists
    assert run_on(start + timedelta(days=11)).sent == 1
    with at(start + timedelta(days=12)):
        record_manual_payment(invoice, reason="Transfer", by=None, amount=Decimal("100.00"))
    assert run_on(start + timedelta(days=30)).sent == 0
    assert run_on(start + timedelta(days=41)).sent == 1
    steps = list(InvoiceReminder.objects.filter(invoice=invoice, skipped=False).values_list("step", flat=True))
    assert steps == ["i1:after_1", "i2:after_1"]


# The admin.


def plan_url(invoice):
    return reverse("wagtailsnippets_invoicing_invoice:set_plan", args=[invoice.pk])


def test_the_admin_sets_equal_instalments_and_the_inspect_view_shows_them(admin_client, three_hundred):
    invoice, _ = three_hundred
    inspect = reverse("wagtailsnippets_invoicing_invoice:inspect", args=[invoice.pk])
    assert plan_url(invoice) in admin_client.get(inspect).content.decode()
    form = admin_client.get(plan_url(invoice))
    assert form.status_code == 200 and "instalments-TOTAL_FORMS" in form.content.decode()
    response = admin_client.post(
        plan_url(invoice),
        {"kind": "equal", "count": "3", "first_due": d(-1).isoformat(), **empty_rows()},
    )
    assert response.status_code == 302
    assert list(invoice.instalments.values_list("amount", flat=True)) == [Decimal("100.00")] * 3
    body = admin_client.get(inspect).content.decode()
    panel = body[body.index("data-invoice-plan") :]
    assert 'data-instalment="1"' in panel and "Overdue" in panel[: panel.index('data-instalment="2"')]


def empty_rows(rows=()):
    data = {"instalments-TOTAL_FORMS": "6", "instalments-INITIAL_FORMS": "0"}
    for index, (due, amount) in enumerate(rows):
        data[f"instalments-{index}-due_date"] = due
        data[f"instalments-{index}-amount"] = amount
    return data


def test_custom_rows_that_miss_the_total_are_shown_again_with_the_reason(admin_client, three_hundred):
    invoice, _ = three_hundred
    rows = [(d(10).isoformat(), "100.00"), (d(40).isoformat(), "150.00")]
    response = admin_client.post(plan_url(invoice), {"kind": "custom", **empty_rows(rows)})
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "add up to €250.00, but the invoice's total is €300.00" in body and 'value="150.00"' in body
    assert not invoice.instalments.exists()

    rows.append((d(70).isoformat(), "50.00"))
    assert admin_client.post(plan_url(invoice), {"kind": "custom", **empty_rows(rows)}).status_code == 302
    assert list(invoice.instalments.values_list("amount", flat=True)) == [100, 150, 50]
    assert admin_client.post(plan_url(invoice), {"remove": "1"}).status_code == 302
    assert not invoice.instalments.exists()


def test_another_websites_invoice_has_no_plan_action(client, site_a, site_b):
    invoice, _ = open_invoice(site_b)
    client.force_login(billing_staff(site_a))
    assert client.get(plan_url(invoice)).status_code == 404
    assert client.post(plan_url(invoice), {"kind": "equal", "count": "2", "first_due": "2030-01-01"}).status_code == 404
    assert not invoice.instalments.exists()


# The pay page.


def page(client, url):
    return client.get(path_of(url), HTTP_HOST="acme.test").content.decode()


def test_the_pay_page_shows_the_schedule_and_asks_for_the_instalment_due_now(client, three_hundred):
    invoice, link = three_hundred
    set_plan(invoice, instalments=[(d(-3), Decimal("100.00")), (d(27), Decimal("100.00")), (d(57), "100.00")])
    body = page(client, link.url)
    assert 'data-instalment="1" data-instalment-state="overdue"' in body
    assert 'data-instalment="2" data-instalment-state="upcoming"' in body
    assert "Pay the instalment due now (100.00 EUR)" in body and "Pay everything (300.00 EUR)" in body
    assert "Pay another amount (at least 100.00 EUR)" in body
    # Never the full balance where an instalment is asked (Odoo's OD#165199).
    assert re.search(r'value="now" checked data-amount="100.00"', body)


def test_a_client_chooses_an_offered_plan_and_pays_the_first_instalment_by_card(client, site_a, stripe_server):
    enable_plans(site_a, options="2,3")
    invoice, link = open_invoice(site_a, lines=[line(unit_price="300.00")], due_date=d(30))
    body = page(client, link.url)
    offer = body[body.index('data-plan-offer="3"') :]
    assert "100.00 EUR by" in offer and TODAY().strftime("%-d %B %Y") in offer

    response = client.post(path_of(link.url) + "plan/", {"count": "3"}, HTTP_HOST="acme.test")
    assert response.status_code == 302 and response["Location"] == path_of(link.url)
    invoice = fresh(invoice)
    assert invoice.instalments.count() == 3 and invoice.collect_by == TODAY()
    assert invoice.payment_link.amount_due_minor == 30000  # the same link: the balance did not change
    body = page(client, link.url)
    assert "data-plan-offers" not in body and 'data-instalment="1" data-instalment-state="next"' in body

    checkout = client.post(path_of(link.url) + "card/", {"amount_choice": "now"}, HTTP_HOST="acme.test").json()
    assert stripe_server.intent(checkout["intent_id"])["amount"] == 10000
    stripe_server.pay(checkout["intent_id"])
    returned = client.get(
        path_of(checkout["return_url"]), {"payment_intent": checkout["intent_id"]}, HTTP_HOST="acme.test"
    )
    invoice = fresh(invoice)
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_due == Decimal("200.00")
    new_page = returned["Location"].removesuffix("receipt/")
    body = client.get(new_page, HTTP_HOST="acme.test").content.decode()
    assert 'data-instalment="1" data-instalment-state="paid"' in body
    assert 'data-instalment="2" data-instalment-state="next"' in body


def test_pay_everything_under_a_plan_charges_the_balance(client, three_hundred, stripe_server):
    invoice, link = three_hundred
    set_plan(invoice, count=3, first_due=d(0))
    checkout = client.post(path_of(link.url) + "card/", {"amount_choice": "full"}, HTTP_HOST="acme.test").json()
    assert stripe_server.intent(checkout["intent_id"])["amount"] == 30000
    checkout = client.post(
        path_of(link.url) + "card/", {"amount_choice": "part", "amount": "50.00"}, HTTP_HOST="acme.test"
    ).json()
    assert checkout["error"] == "Pay at least what is due now, €100.00."


def test_a_plan_is_offered_only_as_the_website_says(client, site_a):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="300.00")])
    assert plan_offers(invoice) == []  # plans are off by default
    enable_plans(site_a, options="2", minimum="500")
    assert plan_offers(fresh(invoice)) == []  # below the minimum
    refused = client.post(path_of(link.url) + "plan/", {"count": "2"}, HTTP_HOST="acme.test")
    assert refused.status_code == 409 and "not available" in refused.content.decode()
    enable_plans(site_a, options="2")
    with pytest.raises(ValidationFailed, match="Choose one of the payment plans offered"):
        choose_plan(fresh(invoice), 3)
    record_manual_payment(invoice, reason="Part", by=None, amount=Decimal("10.00"))
    with pytest.raises(InvalidTransition):
        choose_plan(fresh(invoice), 2)  # something was paid already
    assert not invoice.instalments.exists()


def test_choosing_a_plan_needs_the_csrf_token(site_a):
    enable_plans(site_a)
    invoice, link = open_invoice(site_a, lines=[line(unit_price="300.00")])
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(path_of(link.url) + "plan/", {"count": "2"}, HTTP_HOST="acme.test")
    assert response.status_code == 403 and not invoice.instalments.exists()


def test_a_plan_past_the_due_date_keeps_the_link_working_until_its_last_instalment(site_a):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="300.00")], due_date=d(10))
    set_plan(invoice, count=3, first_due=d(30))
    last_due = invoice.instalments.last().due_date
    lifetime = BillingSettings.for_site(site_a).link_lifetime
    assert timezone.localdate(fresh(invoice).payment_link.expires_at) == last_due + lifetime + timedelta(days=1)
    # The link the client already has is the same one, and still opens the invoice then.
    with time_machine.travel(last_due + lifetime):
        assert resolve_payment_link(link.token, site=site_a).pk == invoice.pk


def test_what_is_due_now_is_never_below_the_smallest_card_payment(three_hundred):
    invoice, _link = three_hundred
    set_plan(invoice, count=3, first_due=d(0))
    record_manual_payment(invoice, amount=Decimal("99.80"), reason="Transfer, a little short", by=None)
    due = amounts_due(fresh(invoice))
    # 0.20 is left of the first instalment; a card cannot be charged 0.20 EUR.
    assert due.instalments[0].remaining == Decimal("0.20")
    assert due.now == due.least == Decimal("0.50")
