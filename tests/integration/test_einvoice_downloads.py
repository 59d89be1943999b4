"""E-invoice downloads for people: the admin's inspect views of invoices and credit notes, the pay
page and the client's billing account. Each is found and checked exactly as its PDF is (website,
permission, token, session), and is offered only for issued invoices of websites with e-invoices on."""

import logging
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invoicing.models import BillingSettings, PaymentLink
from invoicing.services.credit_notes import issue_credit_note
from tests.accounts import ACCOUNT, host, sign_in
from tests.factories import ACCESS_ADMIN, ClientFactory, billing_staff, draft_invoice, line, open_invoice

from .einvoice_helpers import buyer_reference, einvoice_client, read_back, turn_einvoices_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache", "rate_limit_clock")]

SYNTAXES = ("cii", "ubl")
XML = "application/xml"


def admin_url(document, name, *args):
    return reverse(f"wagtailsnippets_invoicing_{document._meta.model_name}:{name}", args=[document.pk, *args])


def admin_einvoice_url(document, syntax):
    return f"{admin_url(document, 'einvoice')}?syntax={syntax}"


def messages_of(response):
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def get(http, url, host=None):
    parts = urlsplit(url)
    return http.get(parts.path + (f"?{parts.query}" if parts.query else ""), HTTP_HOST=host or parts.netloc)


def assert_einvoice(response, document, syntax, *, kind="invoice", type_code="380"):
    assert response.status_code == 200, response
    assert response["Content-Type"] == XML
    assert response["Content-Disposition"] == f'attachment; filename="{kind}-{document.number}-{syntax}.xml"'
    figures = read_back(response.content, syntax)
    assert (figures["number"], figures["type_code"], figures["tax_inclusive"]) == (
        document.number,
        type_code,
        document.total,
    )


def assert_only_its_client_gets_it(http, document, pdf_url, url, other_site):
    """Another client's session gets the PDF's 404 for ``url``, the e-invoice download of the
    client's ``document``; so does a client under the same address signed in on another website."""
    mallory = einvoice_client(document.site, name="Mallory")
    sign_in(http, mallory)
    assert http.get(pdf_url, **host(mallory)).status_code == http.get(url, **host(mallory)).status_code == 404
    assert url not in http.get(ACCOUNT, **host(mallory)).content.decode()
    turn_einvoices_on(other_site)
    elsewhere = einvoice_client(other_site, email=document.client.email)
    sign_in(http, elsewhere)
    assert http.get(url, **host(elsewhere)).status_code == 404


@pytest.fixture
def billed(site_a):
    turn_einvoices_on(site_a)
    return open_invoice(
        site_a,
        client=einvoice_client(site_a, buyer_reference="PO-4711"),
        lines=[line("Design", quantity="2", unit_price="100.00", tax_rate="19")],
    )


class TestAdmin:
    def test_an_issued_invoice_offers_both_syntaxes_which_carry_its_figures(self, admin_client, billed):
        invoice, _ = billed
        page = admin_client.get(admin_url(invoice, "inspect")).content.decode()
        assert "E-invoice: Factur-X / CII XML" in page and "E-invoice: UBL (Peppol BIS 3)" in page
        for syntax in SYNTAXES:
            assert admin_einvoice_url(invoice, syntax) in page
            response = admin_client.get(admin_einvoice_url(invoice, syntax))
            assert_einvoice(response, invoice, syntax)
            assert buyer_reference(response.content) == "PO-4711"
        assert invoice.total == Decimal("238.00")
        assert_einvoice(admin_client.get(admin_url(invoice, "einvoice")), invoice, "cii")  # the default
        assert admin_client.get(admin_einvoice_url(invoice, "pdf")).status_code == 404

    def test_a_credit_note_offers_its_own(self, admin_client, billed):
        invoice, _ = billed
        note = issue_credit_note(invoice, lines=[(invoice.lines.get(), "1")], reason="One day less")
        page = admin_client.get(admin_url(note, "inspect")).content.decode()
        for syntax in SYNTAXES:
            assert admin_einvoice_url(note, syntax) in page
            assert_einvoice(
                admin_client.get(admin_einvoice_url(note, syntax)), note, syntax, kind="credit-note", type_code="381"
            )

    def test_a_draft_and_a_website_with_einvoices_off_offer_none(self, admin_client, site_a, site_b):
        turn_einvoices_on(site_a)
        draft = draft_invoice(site_a, client=einvoice_client(site_a))
        off, _ = open_invoice(site_b, client=einvoice_client(site_b))
        for invoice, message in ((draft, "is a draft"), (off, "E-invoices are off for Globex")):
            assert "E-invoice:" not in admin_client.get(admin_url(invoice, "inspect")).content.decode()
            answer = admin_client.get(admin_einvoice_url(invoice, "cii"))
            assert answer.status_code == 302 and answer["Location"] == admin_url(invoice, "inspect")
            [(level, text)] = messages_of(answer)
            assert level == "error" and message in text

    @pytest.mark.parametrize("missing", ["client_country", "seller_details"])
    def test_what_is_missing_is_a_message_on_the_inspect_view(self, admin_client, site_a, missing):
        turn_einvoices_on(site_a)
        if missing == "client_country":
            invoice, _ = open_invoice(site_a, client=ClientFactory(site=site_a, name="Nowhere Ltd"))
        else:
            invoice, _ = open_invoice(site_a, client=einvoice_client(site_a))
            # Written past the settings form, which would refuse it (check invoicing.W006 reports it).
            BillingSettings.objects.filter(site=site_a).update(legal_name="", tax_id="")
        answer = admin_client.get(admin_einvoice_url(invoice, "ubl"))
        assert answer.status_code == 302 and answer["Location"] == admin_url(invoice, "inspect")
        [(level, text)] = messages_of(answer)
        expected = ("Nowhere Ltd", "country") if missing == "client_country" else ("legal name", "tax id")
        assert level == "error" and all(word in text for word in expected), text

    def test_another_websites_documents_are_a_404_like_their_pdfs(self, client, acme_clerk, site_a, site_b):
        turn_einvoices_on(site_a)
        turn_einvoices_on(site_b)
        ours, _ = open_invoice(site_a, client=einvoice_client(site_a))
        theirs, _ = open_invoice(site_b, client=einvoice_client(site_b))
        their_note = issue_credit_note(theirs, reason="Theirs")
        client.force_login(acme_clerk)
        for document in (theirs, their_note):
            assert client.get(admin_url(document, "pdf")).status_code == 404
            for syntax in SYNTAXES:
                assert client.get(admin_einvoice_url(document, syntax)).status_code == 404
        assert_einvoice(client.get(admin_einvoice_url(ours, "cii")), ours, "cii")

    def test_it_needs_the_permission_the_pdf_needs(self, client, billed, site_a):
        invoice, _ = billed
        client.force_login(billing_staff(site_a, username="no-view", permissions=(ACCESS_ADMIN,)))
        refused = client.get(admin_einvoice_url(invoice, "cii"))
        assert refused.status_code == client.get(admin_url(invoice, "pdf")).status_code != 200
        assert refused.get("Content-Type") != XML


class TestPayPage:
    def test_the_xml_is_offered_beside_the_pdf_with_the_token_pages_headers(self, client, billed):
        invoice, link = billed
        path = urlsplit(link.url).path
        page = get(client, link.url).content.decode()
        assert "E-invoice (XML)" in page
        assert f'href="{path}einvoice/?syntax=cii"' in page and f'href="{path}einvoice/?syntax=ubl"' in page
        for syntax in SYNTAXES:
            response = get(client, f"{link.url}einvoice/?syntax={syntax}")
            assert_einvoice(response, invoice, syntax)
            assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"

    def test_not_offered_where_einvoices_are_off(self, client, site_a):
        _, link = open_invoice(site_a, client=einvoice_client(site_a))
        assert "E-invoice" not in get(client, link.url).content.decode()
        assert get(client, f"{link.url}einvoice/?syntax=cii").status_code == 404

    def test_a_wrong_token_another_websites_host_or_syntax_get_the_pdfs_404(self, client, billed, site_b):
        _, link = billed
        turn_einvoices_on(site_b)
        wrong_pdf = get(client, link.url[:-2] + "x/pdf/")
        answers = [
            get(client, link.url[:-2] + "x/einvoice/"),
            get(client, f"{link.url}einvoice/?syntax=cii", host=site_b.hostname),
            get(client, f"{link.url}einvoice/?syntax=pdf"),
        ]
        assert wrong_pdf.status_code == 404
        assert all(answer.status_code == 404 and answer.content == wrong_pdf.content for answer in answers)

    def test_an_expired_link_gets_the_recovery_page_which_reveals_nothing(self, client, billed):
        invoice, link = billed
        PaymentLink.objects.filter(pk=invoice.payment_link_id).update(expires_at=timezone.now() - timedelta(minutes=1))
        answer = get(client, f"{link.url}einvoice/?syntax=cii")
        assert answer.status_code == get(client, f"{link.url}pdf/").status_code == 410
        body = answer.content.decode()
        assert answer["Content-Type"].startswith("text/html")
        assert invoice.number not in body and invoice.client.name not in body

    def test_one_that_cannot_be_made_is_the_invoice_page_with_a_message(self, client, site_a, caplog):
        turn_einvoices_on(site_a)
        invoice, link = open_invoice(site_a, client=ClientFactory(site=site_a, name="Nowhere Ltd"))
        with caplog.at_level(logging.WARNING, logger="invoicing.pay.views"):
            answer = get(client, f"{link.url}einvoice/?syntax=ubl")
        assert answer.status_code == 409
        body = answer.content.decode()
        assert invoice.number in body and "has no e-invoice at the moment" in body
        assert "Nowhere Ltd" in caplog.text and link.token[-43:] not in caplog.text

    def test_the_pay_page_still_costs_at_most_five_queries(self, client, billed):
        _, link = billed
        get(client, link.url)  # the website's front is cached by the first request
        with CaptureQueriesContext(connection) as queries:
            body = get(client, link.url).content.decode()
        assert "E-invoice (XML)" in body and len(queries) <= 5


class TestAccount:
    def url(self, invoice, syntax="cii"):
        return f"{ACCOUNT}invoices/{invoice.pk}/einvoice/?syntax={syntax}"

    def test_a_signed_in_client_gets_their_invoices_xml(self, client, billed):
        invoice, _ = billed
        sign_in(client, invoice.client)
        page = client.get(f"{ACCOUNT}invoices/{invoice.pk}/", **host(invoice.client)).content.decode()
        assert f'href="{self.url(invoice)}"' in page and f'href="{self.url(invoice, "ubl")}"' in page
        for syntax in SYNTAXES:
            assert_einvoice(client.get(self.url(invoice, syntax), **host(invoice.client)), invoice, syntax)

    def test_signed_out_it_is_the_sign_in_page(self, client, billed):
        invoice, _ = billed
        assert client.get(self.url(invoice), **host(invoice.client))["Location"] == ACCOUNT

    def test_another_clients_session_gets_a_404_like_the_pdf(self, client, billed, site_b):
        invoice, _ = billed
        pdf_url = f"{ACCOUNT}invoices/{invoice.pk}/pdf/"
        assert_only_its_client_gets_it(client, invoice, pdf_url, self.url(invoice), site_b)

    def test_not_offered_where_einvoices_are_off(self, client, site_a):
        invoice, _ = open_invoice(site_a, client=einvoice_client(site_a))
        sign_in(client, invoice.client)
        page = client.get(f"{ACCOUNT}invoices/{invoice.pk}/", **host(invoice.client)).content.decode()
        assert "E-invoice" not in page
        assert client.get(self.url(invoice), **host(invoice.client)).status_code == 404


class TestAccountCreditNotes:
    """Wherever the account offers a credit note's PDF, it offers its e-invoice, behind the same session check."""

    def url(self, note, syntax="cii"):
        return f"{ACCOUNT}credit-notes/{note.pk}/einvoice/?syntax={syntax}"

    @pytest.fixture
    def note(self, billed):
        invoice, _ = billed
        return issue_credit_note(invoice, lines=[(invoice.lines.get(), "1")], reason="One day less")

    def test_a_signed_in_client_gets_their_credit_notes_xml(self, client, note):
        sign_in(client, note.client)
        page = client.get(ACCOUNT, **host(note.client)).content.decode()
        assert f'href="{self.url(note)}"' in page and f'href="{self.url(note, "ubl")}"' in page
        for syntax in SYNTAXES:
            response = client.get(self.url(note, syntax), **host(note.client))
            assert_einvoice(response, note, syntax, kind="credit-note", type_code="381")
            assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"

    def test_signed_out_it_is_refused_as_the_pdf_is(self, client, note):
        pdf = client.get(f"{ACCOUNT}credit-notes/{note.pk}/pdf/", **host(note.client))
        answer = client.get(self.url(note), **host(note.client))
        assert (answer.status_code, answer["Location"]) == (pdf.status_code, pdf["Location"]) == (302, ACCOUNT)

    def test_another_clients_session_gets_a_404_like_the_pdf(self, client, note, site_b):
        assert_only_its_client_gets_it(client, note, f"{ACCOUNT}credit-notes/{note.pk}/pdf/", self.url(note), site_b)

    def test_not_offered_where_einvoices_are_off(self, client, site_a):
        invoice, _ = open_invoice(site_a, client=einvoice_client(site_a))
        note = issue_credit_note(invoice, reason="Off")
        sign_in(client, note.client)
        page = client.get(ACCOUNT, **host(note.client)).content.decode()
        assert note.number in page and "E-invoice" not in page
        assert client.get(self.url(note), **host(note.client)).status_code == 404

    def test_one_that_cannot_be_made_is_the_account_page_with_a_message(self, client, site_a, caplog):
        turn_einvoices_on(site_a)
        invoice, _ = open_invoice(site_a, client=ClientFactory(site=site_a, name="Nowhere Ltd"))
        note = issue_credit_note(invoice, reason="No country")
        sign_in(client, note.client)
        with caplog.at_level(logging.WARNING, logger="invoicing.pay.views"):
            answer = client.get(self.url(note, "ubl"), **host(note.client))
        assert answer.status_code == 409
        body = answer.content.decode()
        assert note.number in body and "This credit note has no e-invoice at the moment" in body
        assert "Nowhere Ltd" in caplog.text
