"""The invoice editor's tax in a real browser (issue #16): a line's rate is chosen among the chosen
website's rates (its default first), and the live totals follow prices with tax included as the
server computes them; what is saved is the catalogue's rate."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from invoicing.models import Invoice, TaxRate
from tests.factories import ClientFactory, UserFactory, make_website

from .test_admin_flow import PASSWORD, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def websites(live_server):
    port = urlsplit(live_server.url).port
    acme = make_website("acme.localhost", port=port, prefix="ACME")
    globex = make_website("globex.localhost", port=port, prefix="GLX")
    ClientFactory(site=acme, name="Zoë Ångström", email="zoe@example.com")
    rates = {
        "vat19": TaxRate.objects.create(site=acme, name="VAT 19 %", rate=Decimal(19), is_default=True),
        "vat7": TaxRate.objects.create(site=acme, name="VAT 7 %", rate=Decimal(7)),
        "globex20": TaxRate.objects.create(site=globex, name="Globex tax", rate=Decimal(20), is_default=True),
    }
    user = UserFactory(username="billing", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return acme, globex, rates


def test_lines_choose_the_websites_rates_and_the_preview_follows(page, live_server, websites):
    acme, globex, rates = websites
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/snippets/invoicing/invoice/add/")
    page.select_option("[name=site]", str(acme.pk))
    page.click("#id_client-chooser [data-chooser-action-choose]")
    page.locator(".modal-dialog").get_by_role("link", name="Zoë Ångström").click()
    expect(page.locator("#id_client-chooser [data-chooser-title]")).to_contain_text("Zoë Ångström")
    page.fill("[name=title]", "Books and design")

    if page.locator("[name='lines-0-description']").count() == 0:
        page.get_by_role("button", name="Add line").first.click()
    tax = page.locator("[name='lines-0-tax']")
    # Acme's default rate is chosen for the new line, and Globex's rate is not offered.
    expect(tax).to_have_value(str(rates["vat19"].pk))
    expect(tax.locator(f"option[value='{rates['globex20'].pk}']")).to_be_hidden()
    expect(page.locator("[name='lines-0-tax_rate']")).to_have_value("19.00")
    page.fill("[name='lines-0-description']", "Design")
    page.fill("[name='lines-0-quantity']", "1")
    page.fill("[name='lines-0-unit_price']", "119")
    page.get_by_role("button", name="Add line").last.click()
    page.fill("[name='lines-1-description']", "Books")
    page.fill("[name='lines-1-quantity']", "2")
    page.fill("[name='lines-1-unit_price']", "10.70")
    page.select_option("[name='lines-1-tax']", str(rates["vat7"].pk))
    totals = page.locator("[data-invoice-totals]")
    expect(totals.locator("[data-total=total]")).to_have_text("164.51 EUR")  # 119 + 22.61 at 19 %, 21.40 + 1.50 at 7 %

    page.check("[name=prices_include_tax]")
    expect(totals.locator("[data-total-label=total]")).to_have_text("Total (incl. tax)")
    expect(totals.locator("[data-total=total]")).to_have_text("140.40 EUR")
    expect(totals.locator("[data-total=tax]")).to_have_text("20.40 EUR")  # 19.00 + 1.40

    page.get_by_role("button", name="Save").first.click()
    expect(page.locator(".messages")).to_contain_text("created")
    invoice = Invoice.objects.get(title="Books and design")
    assert (invoice.tax, invoice.total) == (Decimal("20.40"), Decimal("140.40"))
    assert sorted(line.tax_id for line in invoice.lines.all()) == sorted([rates["vat19"].pk, rates["vat7"].pk])
