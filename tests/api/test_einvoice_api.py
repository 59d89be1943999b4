"""E-invoices through the API (``…/invoices/{id}/einvoice/?syntax=cii|ubl`` and the credit notes'),
documented in the schema; and the e-invoice fields of clients (address, buyer reference, Peppol id)
and of invoices (buyer reference)."""

import pytest
import yaml

from invoicing.models import BillingSettings, Client
from invoicing.services.credit_notes import issue_credit_note
from invoicing.services.invoices import issue_invoice
from tests.factories import ClientFactory, billing_staff, draft_invoice, line, open_invoice
from tests.integration.einvoice_helpers import buyer_reference, einvoice_client, read_back, turn_einvoices_on

from .conftest import API, TokenClient, invoice_url

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/order-payments/clients/"
NOTES = "/api/v1/order-payments/credit-notes/"
XML = "application/xml"


def einvoice_url(invoice, syntax=None):
    return invoice_url(invoice, "einvoice") + (f"?syntax={syntax}" if syntax else "")


@pytest.fixture
def billed(site_a):
    turn_einvoices_on(site_a)
    invoice, _ = open_invoice(
        site_a,
        client=einvoice_client(site_a, buyer_reference="PO-2026-17"),
        lines=[line("Design", quantity="3", unit_price="100.00", tax_rate="19")],
    )
    return invoice


@pytest.mark.parametrize("syntax", [None, "cii", "ubl"])
def test_an_issued_invoice_in_either_syntax_carries_the_figures_the_api_shows(api, billed, syntax):
    response = api.get(einvoice_url(billed, syntax))
    assert response.status_code == 200, response.content
    chosen = syntax or "cii"  # the default
    assert response["Content-Type"] == XML
    assert response["Content-Disposition"] == f'attachment; filename="invoice-{billed.number}-{chosen}.xml"'
    shown = api.get(invoice_url(billed)).json()
    figures = read_back(response.content, chosen)
    assert (figures["number"], figures["type_code"]) == (shown["reference_id"], "380")
    assert (str(figures["tax_inclusive"]), str(figures["tax_total"]), str(figures["payable"])) == (
        shown["amount"],
        shown["tax"],
        shown["amount_due"],
    )
    assert buyer_reference(response.content) == shown["buyer_reference"] == "PO-2026-17"


def test_a_credit_note_has_its_own(api, billed):
    note = issue_credit_note(billed, lines=[(billed.lines.get(), "1")], reason="One day less")
    response = api.get(f"{NOTES}{note.pk}/einvoice/?syntax=ubl")
    assert response.status_code == 200 and response["Content-Type"] == XML
    assert response["Content-Disposition"] == f'attachment; filename="credit-note-{note.number}-ubl.xml"'
    figures = read_back(response.content, "ubl")
    assert (figures["number"], figures["type_code"], figures["tax_inclusive"]) == (note.number, "381", note.total)


def test_an_unknown_syntax_is_a_400_naming_the_parameter(api, billed):
    response = api.get(einvoice_url(billed, "pdf"))
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "invalid" and list(body["fields"]) == ["syntax"]


def test_a_draft_a_website_with_einvoices_off_and_another_websites_invoice_are_404s(
    client, billed, site_a, site_b, acme_staff
):
    acme = TokenClient(client, acme_staff)
    draft = draft_invoice(site_a, client=einvoice_client(site_a))
    turn_einvoices_on(site_b)
    theirs, _ = open_invoice(site_b, client=einvoice_client(site_b))
    their_note = issue_credit_note(theirs, reason="Theirs")
    off_site_invoice = billed
    for response in (
        acme.get(einvoice_url(draft)),
        acme.get(einvoice_url(theirs)),
        acme.get(f"{NOTES}{their_note.pk}/einvoice/"),
        acme.get(einvoice_url("not-a-number")),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert "draft" in acme.get(einvoice_url(draft)).json()["detail"]
    BillingSettings.objects.filter(site=site_a).update(einvoices_enabled=False)
    off = acme.get(einvoice_url(off_site_invoice))
    assert off.status_code == 404 and "off" in off.json()["detail"]


def test_one_that_cannot_be_made_is_a_409_saying_what_is_missing(api, site_a):
    turn_einvoices_on(site_a)
    invoice, _ = open_invoice(site_a, client=ClientFactory(site=site_a, name="Nowhere Ltd"))
    response = api.get(einvoice_url(invoice, "ubl"))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "einvoice_unavailable" and "Nowhere Ltd" in body["detail"] and "country" in body["detail"]


def test_it_needs_the_invoice_view_permission(client, billed, site_a):
    no_view = TokenClient(client, billing_staff(site_a, username="no-view", permissions=("add_invoice",)))
    assert no_view.get(einvoice_url(billed)).status_code == 403


def test_the_schema_documents_the_syntax_and_the_xml_answer(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    for path in (API + "{id}/einvoice/", NOTES + "{id}/einvoice/"):
        operation = schema["paths"][path]["get"]
        [syntax] = [parameter for parameter in operation["parameters"] if parameter["name"] == "syntax"]
        assert syntax["in"] == "query" and syntax["schema"]["enum"] == ["cii", "ubl"]
        assert syntax["schema"]["default"] == "cii"
        assert list(operation["responses"]["200"]["content"]) == [XML]
        for status in ("400", "404", "409"):
            assert status in operation["responses"]


# -- the e-invoice fields of clients and invoices ----------------------------------------------------------


def test_a_client_gets_its_address_buyer_reference_and_peppol_id(api, site_a):
    data = {
        "website": site_a.pk,
        "name": "Initech SARL",
        "email": "ap@initech.example",
        "billing_address": "1 rue de Rivoli",
        "postal_code": "75001",
        "city": "Paris",
        "country": "FR",
        "buyer_reference": "PO-9",
        "electronic_address": "0009:12345678900011",
    }
    created = api.post(CLIENTS, data)
    assert created.status_code == 201, created.json()
    read = api.get(f"{CLIENTS}{created.json()['id']}/").json()
    assert {name: read[name] for name in data if name != "website"} == {k: v for k, v in data.items() if k != "website"}
    changed = api.patch(f"{CLIENTS}{read['id']}/", {"country": "BE", "electronic_address": ""})
    assert (changed.json()["country"], changed.json()["electronic_address"]) == ("BE", "")


def test_a_clients_country_and_peppol_id_are_checked(api, site_a):
    data = {"website": site_a.pk, "name": "Initech", "email": "ap@initech.example"}
    for field, value in (("country", "Germany"), ("country", "XX"), ("electronic_address", "DE136695976")):
        response = api.post(CLIENTS, {**data, field: value})
        assert response.status_code == 400 and list(response.json()["fields"]) == [field], response.json()
    assert not Client.objects.exists()


def test_a_drafts_buyer_reference_is_written_and_issued_with_it(api, site_a):
    client = einvoice_client(site_a, buyer_reference="CLIENT-DEFAULT")
    body = {
        "website": site_a.pk,
        "client": client.pk,
        "title": "Work",
        "lines": [{"description": "x", "unit_price": "1.00"}],
    }
    created = api.post(API, {**body, "buyer_reference": "PO-1"})
    assert created.status_code == 201, created.json()
    assert created.json()["buyer_reference"] == "PO-1"
    patched = api.patch(invoice_url(created.json()["id"]), {"buyer_reference": "PO-2"})
    assert patched.status_code == 200 and patched.json()["buyer_reference"] == "PO-2"
    other_field = api.patch(invoice_url(created.json()["id"]), {"title": "Work, again"})
    assert other_field.json()["buyer_reference"] == "PO-2"  # a PATCH keeps what it does not name
    # Left blank, the invoice takes the client's own when it is issued.
    blank = api.post(API, body).json()
    assert blank["buyer_reference"] == ""
    invoice = draft_invoice(site_a, client=client)
    issue_invoice(invoice)
    assert api.get(invoice_url(invoice)).json()["buyer_reference"] == "CLIENT-DEFAULT"
    refused = api.patch(invoice_url(invoice), {"buyer_reference": "PO-3"})
    assert refused.status_code == 409


def test_a_buyer_reference_longer_than_its_column_is_a_400(api, site_a):
    client = ClientFactory(site=site_a)
    body = {"website": site_a.pk, "client": client.pk, "title": "W", "lines": [{"description": "x", "unit_price": "1"}]}
    response = api.post(API, {**body, "buyer_reference": "x" * 101})
    assert response.status_code == 400 and list(response.json()["fields"]) == ["buyer_reference"]
