"""A client opens the link from their email in a real browser."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from invoicing.services import invoices as invoice_services
from tests.factories import ClientFactory, line, make_website, open_invoice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(live_server):
    # *.localhost resolves to 127.0.0.1 in Chromium, so each website gets its own host name.
    return make_website("acme.localhost", port=urlsplit(live_server.url).port, prefix="ACME")


def test_the_client_sees_the_branded_invoice_and_its_balance(page, acme):
    client = ClientFactory(site=acme, name="Zoë Ångström")
    invoice, link = open_invoice(
        acme,
        client=client,
        title="Website care",
        lines=[line("Hosting", "2", "49.50", "19"), line("Support", "1", "80")],
    )
    page.goto(link.url)
    expect(page).to_have_title(f"Invoice {invoice.number}")
    expect(page.locator("h1")).to_have_text(f"Invoice {invoice.number}")
    expect(page.locator(".invoice-meta")).to_contain_text("Zoë Ångström")
    expect(page.locator(".invoice-lines tbody tr")).to_have_count(2)
    expect(page.locator(".invoice-due td")).to_have_text("197.81 EUR")
    header_colour = page.locator(".pay-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header_colour == "rgb(18, 52, 86)"  # #123456, the site's brand colour


def test_a_voided_invoices_old_link_shows_the_recovery_page(page, acme):
    invoice, link = open_invoice(acme, title="Cancelled work")
    invoice_services.void_invoice(invoice, reason="Cancelled")
    response = page.goto(link.url)
    assert response.status == 410
    expect(page.locator("h1")).to_have_text("This payment link can no longer be used")
    expect(page.locator("body")).not_to_contain_text("Cancelled work")
