"""Reminders in the admin: the inspect view shows the next one or why none, and an admin pauses and
resumes them from the invoice's actions (the API's side is in tests/api/test_reminders_api.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from invoicing.models import AutoCharge, Invoice, InvoiceEmailTemplatePage, InvoiceEvent, SavedCard
from invoicing.services.payments import record_manual_payment
from tests.factories import draft_invoice, open_invoice
from tests.page_forms import page_form_data

from .reminder_helpers import START, at, set_steps
from .test_admin_bulk_actions import run as bulk_run

pytestmark = pytest.mark.django_db

DUE = START + timedelta(days=10)


def url(name, invoice):
    return reverse(f"wagtailsnippets_invoicing_invoice:{name}", args=[invoice.pk])


def next_reminder_text(admin_client, invoice):
    page = admin_client.get(url("inspect", invoice)).content.decode()
    cell = page.split("data-next-reminder>", 1)[1]
    return cell.split("</dd>", 1)[0]


def test_the_inspect_view_shows_the_next_step_and_its_date_or_why_none(admin_client, site_a, admin_user):
    set_steps(site_a, "before_3", "after_7", every=0)
    with at(START):
        admin_client.force_login(admin_user)  # a session of the travelled-to day
        invoice = open_invoice(site_a, due_date=DUE)[0]
        assert next_reminder_text(admin_client, invoice) == "3 days before the due date: Jan. 11, 2027"
        card = SavedCard.objects.create(client=invoice.client, customer_reference="c", payment_method_reference="p")
        charge = AutoCharge.objects.create(invoice=invoice, saved_card=card)
        assert next_reminder_text(admin_client, invoice) == "No reminders while the automatic charge is pending."
        charge.delete()
        admin_client.post(url("pause_reminders", invoice))
        assert next_reminder_text(admin_client, invoice) == "Reminders paused by an admin."
        record_manual_payment(invoice, reason="Cash", by=admin_user)
        assert next_reminder_text(admin_client, invoice) == "No reminders: the invoice is paid."


def test_an_admin_pauses_and_resumes_reminders_from_the_invoice(admin_client, site_a, admin_user):
    with at(START):
        admin_client.force_login(admin_user)  # a session of the travelled-to day
        invoice = open_invoice(site_a, due_date=DUE)[0]
        actions = admin_client.get(url("inspect", invoice)).content.decode()
        assert url("pause_reminders", invoice) in actions and url("resume_reminders", invoice) not in actions
        response = admin_client.post(url("pause_reminders", invoice))
        assert response.status_code == 302 and Invoice.objects.get(pk=invoice.pk).reminders_paused
        assert url("resume_reminders", invoice) in admin_client.get(url("inspect", invoice)).content.decode()
        admin_client.post(url("resume_reminders", invoice))
    assert not Invoice.objects.get(pk=invoice.pk).reminders_paused
    events = InvoiceEvent.objects.filter(invoice=invoice, kind__startswith="reminders_")
    assert [(event.kind, event.actor) for event in events] == [
        ("reminders_paused", admin_user),
        ("reminders_resumed", admin_user),
    ]


def test_the_email_page_has_a_reminder_steps_tab_and_a_preview_per_step(admin_client, site_a, admin_user):
    page = InvoiceEmailTemplatePage.for_site(site_a)
    form = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert "Reminder steps" in form and 'name="reminder_after_30_subject"' in form
    assert "30 days after the due date" in form
    url = f"/admin/pages/{page.pk}/edit/preview/"
    changes = {"reminder_after_7_subject": "A week late: {invoice_number}", "reminder_subject": "Plain reminder"}
    assert admin_client.post(url, page_form_data(page, admin_user, **changes)).json()["is_valid"]
    step = admin_client.get(url, {"mode": "reminder:after_7"}).content.decode()
    assert "A week late: ACME-SAMPLE" in step and "/pay/invoice/INV-SAMPLE-" in step
    assert "Plain reminder" in admin_client.get(url, {"mode": "reminder:after_14"}).content.decode()
    assert admin_client.get(url, {"mode": "receipt:after_7"}).status_code == 404


def test_reminders_are_paused_and_resumed_in_bulk_from_the_listing(admin_client, site_a):
    invoices = [open_invoice(site_a)[0] for _ in range(2)]
    draft = draft_invoice(site_a)
    paused, _ = bulk_run(admin_client, "pause_reminders", [*invoices, draft])
    assert (paused.succeeded, paused.failed) == (2, 1) and "is draft" in paused.failures[0]["reason"]
    assert [Invoice.objects.get(pk=invoice.pk).reminders_paused for invoice in invoices] == [True, True]
    resumed, _ = bulk_run(admin_client, "resume_reminders", invoices)
    assert (resumed.succeeded, resumed.failed) == (2, 0)
    assert not Invoice.objects.filter(reminders_paused=True).exists()
