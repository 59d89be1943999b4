"""A client pays an emailed invoice by card in a real browser, offline: the pay link comes from
the email (anymail's test backend), the card goes through localstripe's Stripe.js, and the admin
then shows the invoice paid. Screenshots of each demo site's pay page go to tests/e2e/artifacts/."""

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from home import demo
from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import InvoiceEmailTemplatePage, PaymentMethod
from invoicing.services.invoices import issue_invoice
from invoicing.services.outbox import issue_and_send_invoice
from invoicing.services.payments import record_manual_payment
from tests.factories import ClientFactory, UserFactory, draft_invoice, line, make_website

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.django_db(transaction=True)


def demo_website(spec, port):
    """A website branded like the demo's (home/demo.py), without its logo: the test server serves no media."""
    site = make_website(
        spec["hostname"],
        port=port,
        prefix=spec["billing"]["number_prefix"],
        currency=spec["billing"]["default_currency"],
        number_format=spec["billing"]["number_format"],
    )
    site.site_name = spec["site_name"]
    site.save()
    template = InvoiceEmailTemplatePage.for_site(site)
    template.brand_color, template.accent_color, template.footer = (
        spec["brand_color"],
        spec["accent_color"],
        spec["footer"],
    )
    template.save_revision().publish()
    return site


def give_credit(client, site, amount):
    """Credit as clients really get it: an overpayment of another invoice."""
    other = draft_invoice(site, client=client, lines=[line("Deposit", "1", "10.00")])
    issue_invoice(other)
    record_manual_payment(other, reason="Bank transfer", by=None, amount=Decimal("10.00") + Decimal(amount))


def send_invoice(site, client=None, **fields):
    client = client or ClientFactory(site=site, name="Wayne Enterprises", email="accounts@wayne.example")
    invoice = draft_invoice(
        site,
        client=client,
        title="Hosting, monthly",
        lines=[line("Managed hosting", "1", "49.00", "19"), line("Backups", "1", "10.00", "19")],
        **fields,
    )
    issue_and_send_invoice(invoice)
    invoice.refresh_from_db()
    return invoice


def pay_link_in(message, site):
    match = re.search(rf"http://{re.escape(site.hostname)}:\d+/pay/invoice/INV-[^\s/\"]+/", message.body)
    assert match, message.body
    return match.group(0)


def test_the_client_pays_the_emailed_invoice_by_card_and_the_admin_sees_it_paid(
    page, live_server, stripe_server, anymail_outbox
):
    port = urlsplit(live_server.url).port
    acme = demo_website(demo.ACME, port)
    invoice = send_invoice(acme)
    [email] = anymail_outbox
    assert email.subject.startswith(f"Invoice {invoice.number}")

    page.goto(pay_link_in(email, acme))
    expect(page.locator("h1")).to_have_text(f"Invoice {invoice.number}")
    expect(page.locator(".invoice-due td")).to_have_text("70.21 EUR")
    page.get_by_role("button", name="Pay by card").click()
    expect(page.locator("#card-amount")).to_have_text("70.21 EUR")
    # localstripe's card widget: number, expiry month and year, CVC, postcode.
    widget = page.locator("#card-element")
    widget.get_by_placeholder("number").fill("4242424242424242")
    widget.get_by_placeholder("exp_month").fill("12")
    widget.get_by_placeholder("exp_year").fill("40")
    widget.get_by_placeholder("cvc").fill("123")
    widget.get_by_placeholder("postal_code").fill("10115")
    page.get_by_role("button", name="Pay now").click()

    expect(page.locator("h1")).to_have_text(f"Receipt for invoice {invoice.number}")
    expect(page.locator(".receipt-thanks")).to_contain_text("Thank you: we received 70.21 EUR")
    expect(page.locator(".state-paid")).to_contain_text("paid in full")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.payments.get().method == PaymentMethod.STRIPE

    admin = UserFactory(username="billing", is_staff=True, is_superuser=True)
    admin.set_password("see-the-money")
    admin.save()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "billing")
    page.fill("input[name=password]", "see-the-money")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")
    page.goto(live_server.url + reverse("wagtailsnippets_invoicing_invoice:list") + f"?q={invoice.number}")
    row = page.locator("tr", has_text=invoice.number)
    expect(row).to_contain_text("Paid")


@pytest.mark.parametrize("spec", [demo.ACME, demo.GLOBEX], ids=lambda spec: spec["slug"])
def test_each_demo_sites_pay_page_carries_its_branding(page, live_server, spec, stripe_server, anymail_outbox):
    site = demo_website(spec, urlsplit(live_server.url).port)
    client = ClientFactory(site=site)
    give_credit(client, site, "25.00")
    send_invoice(site, client=client, allow_partial_payments=True)
    page.goto(pay_link_in(anymail_outbox[-1], site))
    expect(page.locator(".pay-site-name")).to_have_text(spec["site_name"])
    expect(page.locator(".pay-footer")).to_contain_text(spec["footer"][3:20])
    expect(page.locator(".amount-choice")).to_be_visible()
    expect(page.locator(".credit-form")).to_be_visible()
    expect(page.locator("#card-step")).to_be_hidden()  # the card field appears once the amount is chosen
    expect(page.locator("#card-message")).to_be_hidden()
    brand = page.locator(".pay-header").evaluate("el => getComputedStyle(el).backgroundColor")
    red, green, blue = (int(spec["brand_color"][i : i + 2], 16) for i in (1, 3, 5))
    assert brand == f"rgb({red}, {green}, {blue})"
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{spec['slug']}-pay-page.png"
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 10_000


def test_the_client_pays_part_with_credit_and_the_rest_by_card(page, live_server, stripe_server, anymail_outbox):
    acme = demo_website(demo.ACME, urlsplit(live_server.url).port)
    client = ClientFactory(site=acme)
    give_credit(client, acme, "20.00")
    invoice = send_invoice(acme, client=client)
    page.goto(pay_link_in(anymail_outbox[-1], acme))

    # A plain form POST passes CSRF: the page's Referrer-Policy (strict-origin) lets the browser send its Origin.
    credit = page.locator(".credit-form")
    credit.get_by_label("Credit to use").fill("5.00")
    with page.expect_request("**/credit/") as posted:
        credit.get_by_role("button", name="Pay with credit").click()
    assert posted.value.header_value("referer") == f"{acme.root_url}/"  # never the path: it holds the token
    expect(page.locator(".receipt-thanks")).to_contain_text("we received 5.00 EUR")
    page.get_by_role("link", name="Pay the rest").click()

    expect(page.locator(".invoice-due td")).to_have_text("65.21 EUR")
    page.get_by_label("Use my account credit (15.00 EUR) first").check()
    page.get_by_role("button", name="Pay by card").click()
    expect(page.locator("#card-notice")).to_have_text(
        "15.00 EUR of your credit was applied; 50.21 EUR remains to pay by card."
    )
    expect(page.locator("#card-amount")).to_have_text("50.21 EUR")
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay now").click()
    expect(page.locator(".state-paid")).to_contain_text("paid in full")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert sorted(payment.method for payment in invoice.payments.all()) == ["credit", "credit", "stripe"]


def fill_card(page, number):
    widget = page.locator("#card-element")
    for placeholder, value in [("number", number), ("exp_month", "12"), ("exp_year", "40"), ("cvc", "123")]:
        widget.get_by_placeholder(placeholder).fill(value)


def test_a_card_that_asks_for_3d_secure_is_checked_in_the_browser(page, live_server, stripe_server, anymail_outbox):
    acme = demo_website(demo.ACME, urlsplit(live_server.url).port)
    invoice = send_invoice(acme)
    page.goto(pay_link_in(anymail_outbox[-1], acme))
    page.get_by_role("button", name="Pay by card").click()
    fill_card(page, "4000002500003155")
    page.get_by_role("button", name="Pay now").click()
    page.get_by_role("button", name="Complete authentication").click()  # localstripe's 3-D Secure modal
    expect(page.locator(".state-paid")).to_contain_text("paid in full")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_declined_card_is_told_and_nothing_is_paid(page, live_server, stripe_server, anymail_outbox):
    acme = demo_website(demo.ACME, urlsplit(live_server.url).port)
    invoice = send_invoice(acme)
    page.goto(pay_link_in(anymail_outbox[-1], acme))
    page.get_by_role("button", name="Pay by card").click()
    fill_card(page, "4000000000000341")
    page.get_by_role("button", name="Pay now").click()
    expect(page.locator("#card-message")).to_contain_text("declined")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not invoice.payments.exists()
