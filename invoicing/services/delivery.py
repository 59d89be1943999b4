"""Sending the outbox: one attempt per task run, retried with backoff, the token redacted from
the stored copy once the client has it. Payment state never depends on any of it."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from ..core.exceptions import EmailRefused
from ..core.redaction import redact
from ..mail.kinds import EmailKind
from ..models import EmailAttempt, InvoiceEvent, OutboundEmail
from . import documents
from .events import record_event
from .locking import lock_invoice

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_DELAY = timedelta(minutes=1)  # then 2, 4, 8 and 16 minutes


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_at: datetime | None = None


def deliver(email_id):
    """One attempt at sending an outbox row. Returns ``None`` when the row was not due."""
    email = _claim(email_id)
    if email is None:
        return None
    try:
        message = build_message(email)
        message.send()
    except EmailRefused as exc:
        # The reason names the header, never its value: the subject may hold the pay link.
        logger.warning("Email %s (invoice %s) refused, not sent: %s", email.pk, email.invoice_id, exc)
        return _record_failure(email, str(exc), permanent=True)
    except Exception as exc:  # whatever the backend raises (SMTP, ESP API) is an attempt to retry
        logger.warning("Email %s, attempt %s failed: %s", email.pk, email.attempts, exc)
        return _record_failure(email, f"{type(exc).__name__}: {exc}", permanent=False)
    return _record_success(email, message)


def _claim(email_id):
    """Mark the row as being sent, so that a second task for it (a retry sweep and a deferred retry
    arriving together) finds nothing to do."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(of=("self",))
            .select_related("invoice__site", "payment")
            .filter(pk=email_id, status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.RETRYING])
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
            .first()
        )
        if email is None:
            return None
        email.status = OutboundEmail.Status.SENDING
        email.attempts += 1
        email.save(update_fields=["status", "attempts"])
    return email


def refuse_line_breaks(email):
    for label, value in (
        (_("subject"), email.subject),
        (_("recipient"), email.to_email),
        (_("sender"), email.from_email),
        (_("reply-to"), email.reply_to),
    ):
        if "\r" in value or "\n" in value:
            raise EmailRefused(
                _(
                    "The %(header)s contains a line break, which could add email headers, so the email was "
                    "not sent. Correct the client's details or the template wording, then send it again."
                )
                % {"header": label}
            )


def build_message(email):
    refuse_line_breaks(email)
    invoice = email.invoice
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=email.from_email,
        to=[email.to_email],
        reply_to=[email.reply_to] if email.reply_to else None,
    )
    message.attach_alternative(email.html_body, "text/html")
    if email.kind == EmailKind.RECEIPT:
        content = documents.receipt_pdf(email.payment)
        filename = documents.pdf_filename(invoice, receipt=True)
    else:
        content = documents.invoice_pdf(invoice, pay_url=email.pay_url or None)
        filename = documents.pdf_filename(invoice)
    message.attach(filename, content, "application/pdf")
    # Read by anymail's ESP backends, ignored by Django's own. One tag, as Postmark allows one.
    message.metadata = {
        "invoice_id": str(invoice.pk),
        "site": invoice.site.hostname,
        "kind": email.kind,
        "outbox_id": str(email.pk),
    }
    message.tags = [f"invoice-{email.kind}"]
    return message


def forget_token(email):
    email.subject = redact(email.subject)
    email.html_body = redact(email.html_body)
    email.text_body = redact(email.text_body)
    email.pay_url = ""


def _record_success(email, message):
    status = getattr(message, "anymail_status", None)
    now = timezone.now()
    with transaction.atomic():
        EmailAttempt.objects.create(email=email, number=email.attempts, succeeded=True)
        email.status = OutboundEmail.Status.SENT
        email.sent_at = now
        email.esp_message_id = str(status.message_id) if status and status.message_id is not None else ""
        email.next_attempt_at = None
        email.last_error = ""
        # The token's one copy in the database goes once the client has it.
        forget_token(email)
        email.save()
        invoice = lock_invoice(email.invoice)
        invoice.email_sent = True
        invoice.email_sent_at = now
        invoice.email_sent_count += 1  # under the row lock
        invoice.save(update_fields=["email_sent", "email_sent_at", "email_sent_count", "updated_at"])
        record_event(
            invoice,
            InvoiceEvent.Kind.EMAILED,
            by=email.created_by,
            email=email.pk,
            email_kind=email.kind,
            to=email.to_email,
        )
    return DeliveryOutcome(status=email.status)


def _record_failure(email, error, *, permanent):
    with transaction.atomic():
        EmailAttempt.objects.create(email=email, number=email.attempts, error=error)
        email.last_error = error
        if permanent or email.attempts >= MAX_ATTEMPTS:
            email.status = OutboundEmail.Status.FAILED
            email.next_attempt_at = None
            # This row will never be sent: sending again queues a new email with a new link.
            forget_token(email)
            record_event(
                email.invoice, InvoiceEvent.Kind.EMAIL_FAILED, email=email.pk, email_kind=email.kind, reason=error
            )
        else:
            email.status = OutboundEmail.Status.RETRYING
            email.next_attempt_at = timezone.now() + FIRST_RETRY_DELAY * 2 ** (email.attempts - 1)
        email.save()
    return DeliveryOutcome(status=email.status, retry_at=email.next_attempt_at)


@task()
def deliver_email(email_id):
    """The task of one attempt; it schedules the next one when the backend can run tasks later."""
    outcome = deliver(email_id)
    if outcome is not None and outcome.retry_at is not None:
        schedule_delivery(email_id, run_after=outcome.retry_at)


def schedule_delivery(email_id, *, run_after=None):
    runner = deliver_email
    if run_after is not None:
        if not runner.get_backend().supports_defer:
            # The immediate backend (tests) cannot wait: the due_emails sweep sends the retry when due.
            return
        runner = runner.using(run_after=run_after)
    runner.enqueue(email_id)
