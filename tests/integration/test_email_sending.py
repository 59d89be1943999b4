"""The sending pipeline: outbox rows written in the caller's transaction, a task after commit,
retries with backoff, header injection refused, one receipt per payment, delivery tracking."""

import base64
import json
import logging
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from django_tasks import task_backends

from invoicing.models import EmailAttempt, Invoice, InvoiceEmailTemplatePage, InvoiceEvent, OutboundEmail
from invoicing.services import outbox
from invoicing.services.delivery import MAX_ATTEMPTS
from invoicing.services.outbox import send_invoice_email
from invoicing.services.payments import apply_payment, record_manual_payment
from invoicing.tasks import deliver_email, retry_due_emails
from tests.factories import ClientFactory, open_invoice

pytestmark = pytest.mark.django_db


class OutageBackend(BaseEmailBackend):
    """Stands in for an SMTP server or ESP that is down: every send raises, as theirs would."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


OUTAGE = f"{__name__}.OutageBackend"


@pytest.fixture
def queue(django_capture_on_commit_callbacks, anymail_outbox):
    def queue(invoice, kind="invoice", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            email = send_invoice_email(invoice, kind, **kwargs)
        email.refresh_from_db()
        return email

    return queue


def emailed_events(invoice):
    return InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEvent.Kind.EMAILED).count()


def test_a_sent_email_updates_the_invoice_and_keeps_no_token(site_a, queue, anymail_outbox):
    invoice, link = open_invoice(site_a)
    email = queue(invoice, link=link)
    invoice.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 1
    assert invoice.email_sent and invoice.email_sent_at and invoice.email_sent_count == 1
    assert emailed_events(invoice) == 1
    assert email.esp_message_id == str(anymail_outbox[0].anymail_status.message_id)
    # The client got the token; the database keeps only the redacted copy.
    token = link.token
    assert token in anymail_outbox[0].body
    assert token not in email.html_body + email.text_body + email.subject + email.pay_url
    assert "INV-[redacted]" in email.html_body


def test_a_reminder_rotates_the_link_and_the_old_one_leads_to_recovery(site_a, queue, anymail_outbox, client):
    invoice, first = open_invoice(site_a)
    queue(invoice, "reminder")
    assert first.token not in anymail_outbox[0].body
    response = client.get(first.url.replace("http://acme.test", ""), HTTP_HOST="acme.test")
    assert response.status_code == 410


def test_a_rollback_sends_nothing(site_a, django_capture_on_commit_callbacks, anymail_outbox):
    invoice, link = open_invoice(site_a)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_invoice_email(invoice, "invoice", link=link)
        raise RuntimeError("the request failed after queueing the email")
    assert callbacks == [] and anymail_outbox == []
    assert not OutboundEmail.objects.exists()
    invoice.refresh_from_db()
    assert not invoice.email_sent and emailed_events(invoice) == 0


def test_an_outage_is_retried_and_every_attempt_is_recorded(site_a, queue, settings, anymail_outbox):
    invoice, link = open_invoice(site_a)
    settings.EMAIL_BACKEND = OUTAGE
    email = queue(invoice, link=link)
    assert email.status == OutboundEmail.Status.RETRYING and email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error
    assert timezone.now() + timedelta(seconds=50) < email.next_attempt_at <= timezone.now() + timedelta(minutes=1)
    invoice.refresh_from_db()
    assert not invoice.email_sent and invoice.email_sent_count == 0 and emailed_events(invoice) == 0
    assert retry_due_emails.call() == 0  # not due yet

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"  # the ESP is back
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert retry_due_emails.call() == 1
    email.refresh_from_db()
    invoice.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 2 and email.last_error == ""
    assert [(a.number, a.succeeded, "SMTPServerDisconnected" in a.error) for a in email.attempt_log.all()] == [
        (1, False, True),
        (2, True, False),
    ]
    assert invoice.email_sent_count == 1 and emailed_events(invoice) == 1 and len(anymail_outbox) == 1


@pytest.fixture
def deferring_tasks(settings):
    """A backend that can run tasks later, like the database one, but keeps them for inspection."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    backend = task_backends["default"]
    yield lambda: [result for result in backend.results if result.task.func is deliver_email.func]


def test_retries_back_off_exponentially_then_give_up(site_a, settings, deferring_tasks, anymail_outbox):
    invoice, link = open_invoice(site_a)
    settings.EMAIL_BACKEND = OUTAGE
    email = send_invoice_email(invoice, "invoice", link=link)
    delays = []
    for _ in range(MAX_ATTEMPTS):
        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)  # as if the time had come
        started = timezone.now()
        deliver_email.call(email.pk)
        email.refresh_from_db()
        if email.next_attempt_at:
            delays.append(round((email.next_attempt_at - started).total_seconds() / 60))
            scheduled = deferring_tasks()[-1]
            assert scheduled.task.run_after == email.next_attempt_at and scheduled.args == [email.pk]
    assert delays == [1, 2, 4, 8, 16]
    assert email.status == OutboundEmail.Status.FAILED and email.attempts == MAX_ATTEMPTS
    assert link.token not in email.html_body + email.text_body and email.pay_url == ""
    assert EmailAttempt.objects.filter(email=email, succeeded=False).count() == MAX_ATTEMPTS
    assert InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEvent.Kind.EMAIL_FAILED).count() == 1
    assert len(deferring_tasks()) == MAX_ATTEMPTS - 1
    assert not Invoice.objects.get(pk=invoice.pk).email_sent


@pytest.mark.parametrize("name", ["Mallory\r\nBcc: victim@example.com", "Mallory\nX-Evil: 1"])
def test_a_line_break_in_the_subject_fails_cleanly(site_a, queue, anymail_outbox, admin_user, client, name):
    invoice, link = open_invoice(site_a, client=ClientFactory(site=site_a, name=name))
    page = InvoiceEmailTemplatePage.for_site(site_a)
    page.invoice_subject = "Invoice for {client_name}"
    page.save_revision().publish()
    email = queue(invoice, link=link)
    assert anymail_outbox == []
    assert email.status == OutboundEmail.Status.FAILED and email.attempts == 1
    assert "The subject contains a line break" in email.last_error
    assert not Invoice.objects.get(pk=invoice.pk).email_sent
    # The reason is in the admin, on the outbox row.
    client.force_login(admin_user)
    response = client.get(f"/admin/snippets/invoicing/outboundemail/inspect/{email.pk}/")
    assert "contains a line break" in response.content.decode()


def test_a_line_break_in_the_recipient_fails_cleanly(site_a, queue, anymail_outbox):
    invoice, link = open_invoice(site_a)
    Invoice.objects.filter(pk=invoice.pk).update(billing_email="a@example.com\r\nBcc: b@example.com")
    invoice.refresh_from_db()
    email = queue(invoice, link=link)
    assert anymail_outbox == [] and email.status == OutboundEmail.Status.FAILED
    assert "The recipient contains a line break" in email.last_error


def test_a_refused_header_is_logged_without_the_link(site_a, queue, anymail_outbox, caplog):
    invoice, link = open_invoice(site_a, client=ClientFactory(site=site_a, name="Mallory\r\nBcc: victim@example.com"))
    page = InvoiceEmailTemplatePage.for_site(site_a)
    page.invoice_subject = "Invoice for {client_name}: {pay_link}"
    page.save_revision().publish()
    with caplog.at_level(logging.WARNING, logger="invoicing.services.delivery"):
        email = queue(invoice, link=link)
    assert anymail_outbox == [] and email.status == OutboundEmail.Status.FAILED
    [record] = [r for r in caplog.records if r.name == "invoicing.services.delivery"]
    assert record.levelno == logging.WARNING
    assert str(email.pk) in record.getMessage() and "The subject contains a line break" in record.getMessage()
    token_part = link.token[-43:]
    assert token_part not in caplog.text and "/pay/invoice/" not in caplog.text


def test_a_payment_sends_exactly_one_receipt_however_often_it_is_applied(
    site_a, django_capture_on_commit_callbacks, anymail_outbox
):
    invoice, _ = open_invoice(site_a)
    payment = {"method": "stripe", "amount": "100.00", "currency": "EUR", "provider_reference": "pi_123"}
    with django_capture_on_commit_callbacks(execute=True):
        first = apply_payment(invoice, **payment)  # the webhook
        again = apply_payment(Invoice.objects.get(pk=invoice.pk), **payment)  # the return URL
    assert first.created and not again.created
    receipts = OutboundEmail.objects.filter(kind="receipt")
    assert receipts.count() == 1 and receipts.get().payment == first.payment
    assert [message.subject for message in anymail_outbox] == [f"Receipt for invoice {invoice.number}"]
    assert anymail_outbox[0].attachments[0][0] == f"receipt-{invoice.number}.pdf"


def test_the_database_refuses_a_second_automatic_receipt(site_a):
    invoice, _ = open_invoice(site_a)
    result = record_manual_payment(invoice, reason="Cash", by=None)
    assert outbox.queue_receipt(result.payment) is None
    assert OutboundEmail.objects.filter(payment=result.payment, kind="receipt").count() == 1


def test_payment_state_never_depends_on_email(site_a, django_capture_on_commit_callbacks, settings):
    invoice, _ = open_invoice(site_a)
    settings.EMAIL_BACKEND = OUTAGE
    with django_capture_on_commit_callbacks(execute=True):
        result = record_manual_payment(invoice, reason="Bank transfer", by=None)
    invoice.refresh_from_db()
    assert invoice.status == "paid" and result.payment.pk
    assert OutboundEmail.objects.get(payment=result.payment).status == OutboundEmail.Status.RETRYING


def test_payment_stands_when_the_receipt_cannot_even_be_queued(site_a, monkeypatch):
    # A broken template page or renderer must not undo money received.
    def broken(*args, **kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(outbox, "compose_email", broken)
    invoice, _ = open_invoice(site_a)
    result = record_manual_payment(invoice, reason="Cash", by=None)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid" and result.created
    assert not OutboundEmail.objects.exists()


WEBHOOK_SECRET = "tracking:test-secret"  # site_config/settings/test.py


def postmark(client, payload, secret=WEBHOOK_SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def test_a_bounce_webhook_updates_the_outbox_and_the_timeline(site_a, queue, client, admin_user):
    invoice, link = open_invoice(site_a)
    email = queue(invoice, link=link)
    message_id = email.esp_message_id
    delivered = {"RecordType": "Delivery", "MessageID": message_id, "Recipient": email.to_email}
    assert postmark(client, delivered).status_code == 200
    bounce = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "MessageID": message_id,
        "Email": email.to_email,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "BouncedAt": "2026-11-26T05:00:00Z",
        "ID": 42,
    }
    assert postmark(client, bounce).status_code == 200
    opened = {"RecordType": "Open", "MessageID": message_id, "Recipient": email.to_email}
    assert postmark(client, opened).status_code == 200  # a proxy "opening" a bounced email

    email.refresh_from_db()
    assert email.delivery == OutboundEmail.Delivery.BOUNCED
    kinds = list(InvoiceEvent.objects.filter(invoice=invoice).values_list("kind", flat=True))
    assert kinds[-3:] == ["delivered", "bounced", "opened"]
    bounced = InvoiceEvent.objects.get(invoice=invoice, kind="bounced")
    assert "unable to deliver" in bounced.data["description"]

    # Prominent in the admin: on the invoice listing and the outbox listing.
    client.force_login(admin_user)
    for url in ("/admin/snippets/invoicing/invoice/", "/admin/snippets/invoicing/outboundemail/?delivery=bounced"):
        body = client.get(url).content.decode()
        assert 'data-email-status="bounced"' in body and "⚠ Bounced" in body


def test_tracking_webhooks_need_the_secret_and_ignore_unknown_messages(site_a, queue, client):
    invoice, link = open_invoice(site_a)
    email = queue(invoice, link=link)
    forged = {"RecordType": "Bounce", "Type": "HardBounce", "MessageID": email.esp_message_id, "Email": "x@y.z"}
    assert postmark(client, forged, secret="tracking:wrong").status_code == 400
    assert postmark(client, {**forged, "MessageID": "unknown-id"}).status_code == 200
    email.refresh_from_db()
    assert email.delivery == ""


def test_the_outbox_is_read_only_in_the_admin(site_a, queue, admin_client):
    invoice, link = open_invoice(site_a)
    email = queue(invoice, link=link)
    assert admin_client.get("/admin/snippets/invoicing/outboundemail/").status_code == 200
    assert admin_client.get(f"/admin/snippets/invoicing/outboundemail/edit/{email.pk}/").status_code in (302, 403)
    assert admin_client.get("/admin/snippets/invoicing/outboundemail/add/").status_code in (302, 403)
    assert admin_client.post(f"/admin/snippets/invoicing/outboundemail/delete/{email.pk}/").status_code in (302, 403)
    assert OutboundEmail.objects.filter(pk=email.pk).exists()


def test_nothing_is_sent_twice(site_a, queue, anymail_outbox):
    invoice, link = open_invoice(site_a)
    email = queue(invoice, link=link)
    deliver_email.call(email.pk)  # a duplicate task, e.g. a sweep racing the first one
    assert len(anymail_outbox) == 1 and len(mail.outbox) == 1
