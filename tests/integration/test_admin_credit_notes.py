"""Credit notes in the Wagtail admin: the "Issue credit note" action (form, confirmation, issue),
the listing, the inspect view with its lines, the PDF, and the invoice's inspect view; all scoped
to the user's websites."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from invoicing.models import CreditNote
from invoicing.services.credit_notes import issue_credit_note
from tests.factories import line, open_invoice
from tests.pdf_helpers import flat, pdf_text

pytestmark = pytest.mark.django_db


def action_url(invoice):
    return reverse("wagtailsnippets_invoicing_invoice:credit_note", args=[invoice.pk])


def note_url(name, note=None):
    args = [note.pk] if note is not None else []
    return reverse(f"wagtailsnippets_invoicing_creditnote:{name}", args=args)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def invoice_with_lines(site):
    invoice, _ = open_invoice(
        site,
        lines=[line("Design", quantity="2", unit_price="100.00"), line("Hosting", quantity="1", unit_price="50.00")],
    )
    return invoice


class TestIssueAction:
    def test_chosen_lines_are_confirmed_then_issued(self, admin_client, site_a, admin_user):
        invoice = invoice_with_lines(site_a)
        design = invoice.lines.get(description="Design")
        form = admin_client.get(action_url(invoice)).content.decode()
        assert f'name="line_{design.pk}"' in form and "Up to 2 at" in form

        data = {"scope": "lines", f"line_{design.pk}": "1", "reason": "One day less", "settlement": "credit"}
        review = admin_client.post(action_url(invoice), data)
        page = review.content.decode()
        assert review.status_code == 200 and "data-credit-note-preview" in page
        assert "100.00" in page and 'name="confirm"' in page
        assert not CreditNote.objects.exists()  # nothing is written before the confirmation

        done = admin_client.post(action_url(invoice), {**data, "confirm": "1"})
        note = CreditNote.objects.get()
        assert (note.total, note.created_by, note.reason) == (Decimal("100.00"), admin_user, "One day less")
        assert done.status_code == 302
        assert [level for level, text in messages_of(done) if note.number in text] == ["success"]
        assert done["Location"] == reverse("wagtailsnippets_invoicing_invoice:inspect", args=[invoice.pk])

    def test_a_refused_credit_note_is_shown_on_the_form(self, admin_client, site_a):
        invoice = invoice_with_lines(site_a)
        response = admin_client.post(action_url(invoice), {"scope": "lines", "reason": "x", "settlement": "credit"})
        assert response.status_code == 200 and "Give a quantity for at least one line" in response.content.decode()
        no_reason = admin_client.post(action_url(invoice), {"scope": "whole", "reason": "", "settlement": "credit"})
        assert no_reason.status_code == 200
        assert not CreditNote.objects.exists()

    def test_the_invoice_inspect_view_lists_its_credit_notes(self, admin_client, site_a):
        invoice = invoice_with_lines(site_a)
        note = issue_credit_note(invoice, reason="Cancelled")
        page = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:inspect", args=[invoice.pk]))
        text = page.content.decode()
        assert "data-invoice-credit-notes" in text and note.number in text
        assert note_url("pdf", note) in text

    def test_another_websites_invoice_is_404(self, client, acme_clerk, site_b):
        theirs = invoice_with_lines(site_b)
        client.force_login(acme_clerk)
        assert client.get(action_url(theirs)).status_code == 404
        assert (
            client.post(
                action_url(theirs), {"scope": "whole", "reason": "x", "settlement": "credit", "confirm": "1"}
            ).status_code
            == 404
        )
        assert not CreditNote.objects.exists()


class TestCreditNoteViews:
    def test_listing_inspect_and_pdf(self, admin_client, site_a):
        invoice = invoice_with_lines(site_a)
        note = issue_credit_note(invoice, lines=[(invoice.lines.get(description="Hosting"), "1")], reason="Outage")
        listing = admin_client.get(note_url("list")).content.decode()
        assert note.number in listing and invoice.number in listing
        found = admin_client.get(note_url("list"), {"q": invoice.number}).content.decode()
        assert note.number in found
        inspect = admin_client.get(note_url("inspect", note)).content.decode()
        assert "data-credit-note-lines" in inspect and "Hosting" in inspect and "Outage" in inspect
        pdf = admin_client.get(note_url("pdf", note))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        text = flat(pdf_text(pdf.content))
        assert note.number in text and f"Credits invoice {invoice.number}" in text

    def test_staff_see_their_websites_credit_notes_only(self, client, acme_clerk, site_a, site_b):
        ours = issue_credit_note(invoice_with_lines(site_a), reason="ours")
        theirs = issue_credit_note(invoice_with_lines(site_b), reason="theirs")
        client.force_login(acme_clerk)
        listing = client.get(note_url("list")).content.decode()
        assert ours.number in listing and theirs.number not in listing
        assert client.get(note_url("inspect", theirs)).status_code == 404
        assert client.get(note_url("pdf", theirs)).status_code == 404
        assert client.get(note_url("pdf", ours)).status_code == 200

    def test_credit_notes_cannot_be_added_edited_or_deleted(self, admin_client, site_a):
        note = issue_credit_note(invoice_with_lines(site_a), reason="x")
        assert admin_client.get(note_url("add")).status_code in (302, 403)
        assert admin_client.get(note_url("edit", note)).status_code in (302, 403)
        assert admin_client.get(note_url("delete", note)).status_code in (302, 403)
        assert CreditNote.objects.filter(pk=note.pk).exists()
