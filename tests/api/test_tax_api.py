"""Tax through the API (issue #16): lines choose a rate of their website's catalogue (``tax_rate_id``,
or a typed ``tax_rate`` the catalogue has), prices with tax, the tax summary and treatment in the
invoice, and clients' tax details (``/order-payments/clients/``)."""

from decimal import Decimal

import pytest

from invoicing.core.tax import TaxTreatment
from invoicing.models import Client, Invoice, TaxRate
from invoicing.services.invoices import issue_invoice
from tests.factories import ClientFactory, billing_staff, draft_invoice, line

from .conftest import API, TokenClient, invoice_url

CLIENTS = "/api/v1/order-payments/clients/"
VALID_VAT_ID = "DE136695976"


@pytest.fixture
def catalogues(site_a, site_b):
    return {
        "vat19": TaxRate.objects.create(site=site_a, name="VAT 19 %", rate=Decimal(19), is_default=True),
        "vat7": TaxRate.objects.create(site=site_a, name="VAT 7 %", rate=Decimal(7)),
        "old16": TaxRate.objects.create(site=site_a, name="VAT 16 %", rate=Decimal(16), active=False),
        "globex20": TaxRate.objects.create(site=site_b, name="Sales tax", rate=Decimal(20)),
    }


def new_invoice(site, client, lines, **fields):
    return {"website": site.pk, "client": client.pk, "title": "Work", "lines": lines, **fields}


def errors_of(response):
    body = response.json()
    return body.get("fields", {})


def test_lines_choose_rates_by_id_and_get_their_percentage(api, site_a, catalogues):
    lines = [
        {"description": "Design", "quantity": "2", "unit_price": "100.00", "tax_rate_id": catalogues["vat19"].pk},
        {"description": "Books", "unit_price": "10.00", "tax_rate_id": catalogues["vat7"].pk},
    ]
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), lines))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(x["tax_rate_id"], x["tax_rate"]) for x in body["lines"]] == [
        (catalogues["vat19"].pk, "19.00"),
        (catalogues["vat7"].pk, "7.00"),
    ]
    assert body["tax_summary"] == [
        {"rate": "7.00", "base": "10.00", "tax": "0.70"},
        {"rate": "19.00", "base": "200.00", "tax": "38.00"},
    ]
    assert (body["subtotal"], body["tax"], body["amount"]) == ("210.00", "38.70", "248.70")
    assert body["tax_treatment"] == "standard" and body["prices_include_tax"] is False


def test_a_line_cannot_use_another_websites_or_an_inactive_rate(api, site_a, catalogues):
    for rate in (catalogues["globex20"], catalogues["old16"]):
        lines = [{"description": "Design", "unit_price": "100.00", "tax_rate_id": rate.pk}]
        response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), lines))
        assert response.status_code == 400
        assert "is not an active rate of Acme" in errors_of(response)["lines[0].tax_rate_id"][0]
    assert not Invoice.objects.exists()


def test_a_typed_rate_must_be_in_the_catalogue(api, site_a, catalogues):
    lines = [
        {"description": "Books", "unit_price": "10.00", "tax_rate": "7"},
        {"description": "Design", "unit_price": "100.00", "tax_rate": "16"},
    ]
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), lines))
    assert response.status_code == 400
    fields = errors_of(response)
    assert list(fields) == ["lines[1].tax_rate"]
    assert (
        "16 % is not a rate of Acme's tax catalogue; choose one of: VAT 19 % (19 %), VAT 7 % (7 %)."
        in (fields["lines[1].tax_rate"][0])
    )
    lines.pop()
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), lines))
    assert response.status_code == 201
    assert response.json()["lines"][0]["tax_rate_id"] == catalogues["vat7"].pk


def test_a_line_without_a_rate_gets_the_default_one(api, site_a, catalogues):
    lines = [{"description": "Design", "unit_price": "100.00"}]
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), lines))
    assert response.status_code == 201
    assert (response.json()["lines"][0]["tax_rate_id"], response.json()["tax"]) == (catalogues["vat19"].pk, "19.00")


def test_without_a_catalogue_typed_rates_keep_working(api, site_b):
    lines = [
        {"description": "Work", "unit_price": "100.00", "tax_rate": "8.25"},
        {"description": "Fee", "unit_price": "5"},
    ]
    response = api.post(API, new_invoice(site_b, ClientFactory(site=site_b), lines))
    assert response.status_code == 201
    assert [(x["tax_rate_id"], x["tax_rate"]) for x in response.json()["lines"]] == [(None, "8.25"), (None, "0.00")]


def test_prices_can_include_tax(api, site_a, catalogues):
    lines = [{"description": "Design", "unit_price": "119.00", "tax_rate_id": catalogues["vat19"].pk}]
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), lines, prices_include_tax=True))
    assert response.status_code == 201
    body = response.json()
    assert body["prices_include_tax"] is True
    assert (body["subtotal"], body["tax"], body["amount"]) == ("100.00", "19.00", "119.00")
    assert body["tax_summary"] == [{"rate": "19.00", "base": "100.00", "tax": "19.00"}]


def test_a_patch_keeps_the_chosen_rates(api, site_a, catalogues):
    invoice = draft_invoice(site_a, lines=[{**line(unit_price="100.00", tax_rate="7"), "tax": catalogues["vat7"]}])
    response = api.patch(invoice_url(invoice), {"title": "Renamed"})
    assert response.status_code == 200, response.json()
    assert response.json()["lines"][0]["tax_rate_id"] == catalogues["vat7"].pk


def test_an_issued_reverse_charge_invoice_shows_its_treatment(api, site_a, catalogues):
    client = ClientFactory(site=site_a, tax_id=VALID_VAT_ID, tax_treatment=TaxTreatment.REVERSE_CHARGE)
    invoice = draft_invoice(site_a, client=client, lines=[{**line(unit_price="100.00"), "tax": catalogues["vat19"]}])
    issue_invoice(invoice)
    Client.objects.filter(pk=client.pk).update(tax_treatment=TaxTreatment.STANDARD)
    body = api.get(invoice_url(invoice)).json()
    assert body["tax_treatment"] == "reverse_charge"  # as issued
    assert body["tax_summary"] == [{"rate": "0.00", "base": "100.00", "tax": "0.00"}]
    assert body["amount"] == "100.00"


# -- clients ------------------------------------------------------------------------------------------


@pytest.fixture
def client_api(client, site_a):
    staff = billing_staff(site_a, username="acme-clients", permissions=("view_client", "add_client", "change_client"))
    return TokenClient(client, staff)


def test_a_client_is_created_with_a_checked_vat_id(client_api, site_a):
    data = {"website": site_a.pk, "name": "Initech", "email": "ap@initech.example", "tax_id": "de 136 695 976"}
    response = client_api.post(CLIENTS, {**data, "tax_treatment": "reverse_charge"})
    assert response.status_code == 201, response.json()
    assert (response.json()["tax_id"], response.json()["tax_treatment"]) == (VALID_VAT_ID, "reverse_charge")


def test_a_wrong_check_digit_and_reverse_charge_without_a_vat_id_are_refused(client_api, site_a):
    data = {"website": site_a.pk, "name": "Initech", "email": "ap@initech.example"}
    response = client_api.post(CLIENTS, {**data, "tax_id": "DE136695977"})
    assert response.status_code == 400 and "check digit" in errors_of(response)["tax_id"][0]
    response = client_api.post(CLIENTS, {**data, "tax_id": "12-3456789", "tax_treatment": "reverse_charge"})
    assert (
        response.status_code == 400 and "Reverse charge needs the client's VAT ID" in errors_of(response)["tax_id"][0]
    )
    response = client_api.post(CLIENTS, {**data, "tax_treatment": "exempt"})
    assert response.status_code == 400 and "reason" in errors_of(response)["tax_exemption_reason"][0]
    assert not Client.objects.exists()


def test_a_partial_update_is_checked_with_what_is_stored(client_api, site_a):
    client = ClientFactory(site=site_a, tax_id="12-3456789")
    response = client_api.patch(f"{CLIENTS}{client.pk}/", {"tax_treatment": "reverse_charge"})
    assert response.status_code == 400
    response = client_api.patch(
        f"{CLIENTS}{client.pk}/", {"tax_treatment": "exempt", "tax_exemption_reason": "Art. 132"}
    )
    assert response.status_code == 200
    client.refresh_from_db()
    assert (client.tax_treatment, client.tax_exemption_reason, client.tax_id) == ("exempt", "Art. 132", "12-3456789")


def test_another_websites_client_is_a_404(client_api, site_b):
    other = ClientFactory(site=site_b)
    assert client_api.get(f"{CLIENTS}{other.pk}/").status_code == 404
    assert client_api.patch(f"{CLIENTS}{other.pk}/", {"name": "x"}).status_code == 404
    assert other.pk not in [row["id"] for row in client_api.get(CLIENTS).json()["results"]]
    response = client_api.post(CLIENTS, {"website": site_b.pk, "name": "Sneaky", "email": "s@example.com"})
    assert response.status_code == 400
