"""An admin bills a client in a real browser: a new invoice with two lines (totals shown while
typing), issued and emailed on save, then its inspect view with "Emailed" in the timeline.
Screenshots of the form, the inspect view, the listing and the dashboard go to tests/e2e/artifacts/."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from invoicing.models import Invoice
from tests.factories import ClientFactory, UserFactory, make_website, open_invoice

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "bill-the-clients"  # noqa: S105 - a throwaway test user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(live_server, settings):
    # The emails go to anymail's test backend; the browser only sees what the admin shows.
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    site = make_website("acme.localhost", port=urlsplit(live_server.url).port, prefix="ACME")
    ClientFactory(site=site, name="Zoë Ångström", email="zoe@example.com")
    open_invoice(site, title="Earlier work")  # so that the listing is not empty before we start
    user = UserFactory(username="billing", first_name="Bill", last_name="Ing", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return site


def log_in(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "billing")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")


def fill_line(page, index, description, quantity, unit_price, tax_rate):
    page.fill(f"[name='lines-{index}-description']", description)
    page.fill(f"[name='lines-{index}-quantity']", quantity)
    page.fill(f"[name='lines-{index}-unit_price']", unit_price)
    page.fill(f"[name='lines-{index}-tax_rate']", tax_rate)


def test_an_invoice_is_created_issued_emailed_and_inspected(page, live_server, acme):
    log_in(page, live_server)
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(f"{live_server.url}/admin/snippets/invoicing/invoice/add/")
    page.select_option("[name=site]", str(acme.pk))
    page.click("#id_client-chooser [data-chooser-action-choose]")
    modal = page.locator(".modal-dialog")
    modal.get_by_role("link", name="Zoë Ångström").click()
    expect(page.locator("#id_client-chooser [data-chooser-title]")).to_contain_text("Zoë Ångström")
    page.fill("[name=title]", "Website relaunch")

    if page.locator("[name='lines-0-description']").count() == 0:
        page.get_by_role("button", name="Add line").first.click()
    fill_line(page, 0, "Design", "2", "100", "19")
    page.get_by_role("button", name="Add line").last.click()
    fill_line(page, 1, "Hosting", "1", "10", "7")
    totals = page.locator("[data-invoice-totals]")
    expect(totals.locator("[data-total=total]")).to_have_text("248.70 EUR")  # the live preview
    expect(page.locator("[data-line-total]").first).to_contain_text("200.00")

    page.check("[name=send_now]")
    page.screenshot(path=ARTIFACTS / "admin-invoice-form.png", full_page=True)
    page.get_by_role("button", name="Save").first.click()

    invoice = Invoice.objects.get(title="Website relaunch")
    expect(page).to_have_url(f"{live_server.url}/admin/snippets/invoicing/invoice/inspect/{invoice.pk}/")
    expect(page.locator(".messages")).to_contain_text("is issued and on its way to zoe@example.com")
    expect(page.locator("[data-invoice-totals]")).to_contain_text("248.70 EUR")
    timeline = page.locator("[data-invoice-timeline]")
    emailed = timeline.locator("tr[data-event-kind=emailed]")
    expect(emailed).to_contain_text("Emailed")
    expect(emailed).to_contain_text("Bill Ing")
    expect(page.locator("[data-invoice-emails]")).to_contain_text("zoe@example.com")
    invoice.refresh_from_db()
    assert invoice.status == "open" and invoice.email_sent
    page.set_viewport_size({"width": 1280, "height": 2600})  # Wagtail scrolls inside its layout
    page.screenshot(path=ARTIFACTS / "admin-invoice-inspect.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A new payment link from the inspect view: shown once, to copy (only its hash is kept).
    page.click("[data-rotate-link]")
    expect(page.locator("#payment-link-url")).to_have_value(re.compile(r"^http://acme\.localhost:\d+/pay/invoice/INV-"))
    page.go_back()
    page.reload()
    expect(page.locator("[data-current-link]")).to_contain_text("2")
    expect(page.locator("body")).not_to_contain_text("/pay/invoice/INV-")

    page.goto(f"{live_server.url}/admin/snippets/invoicing/invoice/")
    expect(page.locator("table.listing")).to_contain_text(invoice.number)
    page.screenshot(path=ARTIFACTS / "admin-invoice-listing.png", full_page=True)

    # The client filter is a chooser too (a website may have thousands of clients).
    page.click("[aria-label='Show filters']")
    page.get_by_role("button", name="Client").click()
    page.click("#id_client-chooser [data-chooser-action-choose]")
    page.locator(".modal-dialog").get_by_role("link", name="Zoë Ångström").click()
    expect(page).to_have_url(re.compile(rf"\?client={invoice.client_id}$"))
    # The chooser's own listing is hidden, but may stay in the page: read the visible one, the invoices'.
    expect(page.locator(".modal-dialog")).to_be_hidden()
    invoices = page.locator("table.listing:visible")
    expect(invoices).to_contain_text(invoice.number)
    expect(invoices).not_to_contain_text("Earlier work")

    page.goto(f"{live_server.url}/admin/")
    page.screenshot(path=ARTIFACTS / "admin-dashboard.png", full_page=True)
