"""Sending the outbox: one attempt per task run, retried with backoff, the token redacted from
the stored copy once the client has it. Payment state never depends on any of it.

An attempt has two steps, each leased (``INVOICING_LEASE_SECONDS``) and committed before the next:

1. **Claim**: the row goes to "sending" (compare-and-set), then the message is rendered with its
   PDF and the connection to the mail server is opened. Nothing has left yet.
2. **Hand-off**: ``handoff_started_at`` is committed (compare-and-set on the claim), then the
   message goes to the backend (SMTP ``DATA``, the ESP's API call), then the row is marked sent.

What that guarantees, per outbox row:

- A worker that dies during the claim leaves a row the mail server never saw: the sweep
  (``release_stalled_claims``) puts it back, and it is sent once.
- A worker that dies during the hand-off leaves a row that may or may not have gone: it is
  **not** sent again automatically (at most once). The sweep marks it failed, with a reason
  that asks a person to resend it if the client did not get it.
- Two workers never hand off the same row: the hand-off mark and a new claim exclude each other.
- An error the backend reports (SMTP or ESP down) is retried with backoff. If the server had
  taken the message but its answer was lost (a timeout after ``DATA``), the retry is a second
  copy: every attempt carries the same Message-ID header (``OutboundEmail.message_id``), so a
  server or inbox that drops duplicates by Message-ID drops it.
- Once a row is sent, it is never sent again.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from ..conf import invoicing_settings
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
STOPPED_DURING_HANDOFF = gettext_lazy(
    "The task worker stopped while handing this email to the mail server; it may have been sent. "
    "Resend it if the client did not get it."
)


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_at: datetime | None = None


def deliver(email_id):
    """One attempt at sending an outbox row. Returns ``None`` when the row was not due, or when
    the sweep took the claim back before the hand-off."""
    email = _claim(email_id)
    if email is None:
        return None
    connection = None
    try:
        message = build_message(email)
        # Opening the connection is still the claim: an SMTP server that is down fails here,
        # where it is certain that nothing was sent.
        connection = get_connection()
        connection.open()
        if not _start_handoff(email):
            logger.warning("Email %s: the claim expired before the hand-off; another attempt has it", email.pk)
            return None
        connection.send_messages([message])
    except EmailRefused as exc:
        # The reason names the header, never its value: the subject may hold the pay link.
        logger.warning("Email %s (invoice %s) refused, not sent: %s", email.pk, email.invoice_id, exc)
        return _record_failure(email, str(exc), permanent=True)
    except Exception as exc:  # whatever the backend raises (SMTP, ESP API) is an attempt to retry
        logger.warning("Email %s, attempt %s failed: %s", email.pk, email.attempts, exc)
        return _record_failure(email, f"{type(exc).__name__}: {exc}", permanent=False)
    finally:
        if connection is not None:
            connection.close()
    return _record_success(email, message)


def _claim(email_id):
    """Mark the row as being sent, so that a second task for it (a retry sweep and a deferred retry
    arriving together) finds nothing to do. ``attempts`` tells this claim from any later one."""
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
        email.claimed_at, email.handoff_started_at = timezone.now(), None
        email.save(update_fields=["status", "attempts", "claimed_at", "handoff_started_at"])
    return email


def _start_handoff(email):
    """Commit the hand-off mark, if this attempt's claim still stands: from here on, a dead worker
    means "maybe sent". Must not run inside a transaction that outlives the send."""
    now = timezone.now()
    marked = OutboundEmail.objects.filter(
        pk=email.pk, status=OutboundEmail.Status.SENDING, attempts=email.attempts, handoff_started_at__isnull=True
    ).update(handoff_started_at=now)
    email.handoff_started_at = now
    return bool(marked)


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
    # The same on every attempt, unlike Django's default (a new id per message, from this host's name).
    message.extra_headers["Message-ID"] = email.message_id
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


def _lock_attempt(email, **conditions):
    """Lock the row, and say whether it is still in ``email``'s attempt (and meets ``conditions``):
    the sweep and the worker both write an attempt's outcome, and the first one wins."""
    return (
        OutboundEmail.objects.select_for_update(of=("self",))
        .filter(pk=email.pk, attempts=email.attempts, **conditions)
        .exists()
    )


def _record_success(email, message):
    status = getattr(message, "anymail_status", None)
    now = timezone.now()
    with transaction.atomic():
        if not _lock_attempt(email, status=OutboundEmail.Status.SENDING):
            # The sweep thought this worker dead mid-hand-off and marked the row failed; it was sent.
            logger.warning("Email %s was sent after its lease expired; marked sent after all", email.pk)
        # update_or_create: the sweep may have recorded this attempt as stopped.
        EmailAttempt.objects.update_or_create(
            email=email, number=email.attempts, defaults={"succeeded": True, "error": ""}
        )
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


def _record_failure(email, error, *, permanent, retry_at=None):
    """The attempt failed: retry at ``retry_at`` (else after the backoff), or give up when
    ``permanent`` or out of attempts. Returns ``None`` if the sweep already settled the attempt."""
    with transaction.atomic():
        if not _lock_attempt(email, status=OutboundEmail.Status.SENDING):
            logger.warning("Email %s: attempt %s was already settled by the sweep", email.pk, email.attempts)
            return None
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
            email.next_attempt_at = retry_at or timezone.now() + FIRST_RETRY_DELAY * 2 ** (email.attempts - 1)
        email.save()
    return DeliveryOutcome(status=email.status, retry_at=email.next_attempt_at)


def release_stalled_claims(now=None):
    """The sweep of rows left "sending" by a worker silent for longer than the lease.

    A claim that never reached the hand-off goes back to be sent now (the mail server never saw
    it); it counts as an attempt, so a message that kills its worker every time ends failed. A
    hand-off that never finished may have been delivered: the row is marked failed with a reason
    that asks a person to check, and is never sent again by itself. Rows that were "sending"
    before hand-offs were marked are treated alike. Returns (released, flagged) counts."""
    now = now or timezone.now()
    cutoff = now - invoicing_settings.lease
    sending = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING)
    before_handoff = sending.filter(handoff_started_at__isnull=True, claimed_at__lt=cutoff)
    during_handoff = sending.filter(
        Q(handoff_started_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff)
    )
    released = flagged = 0
    for pk in before_handoff.values_list("pk", flat=True):
        with transaction.atomic():
            # Locked and checked again: the worker may have reached its hand-off meanwhile.
            email = _locked(before_handoff, pk)
            if email is not None:
                reason = _("The task worker stopped before handing this email to the mail server, which never saw it.")
                released += _record_failure(email, reason, permanent=False, retry_at=now) is not None
    for pk in during_handoff.values_list("pk", flat=True):
        with transaction.atomic():
            email = _locked(during_handoff, pk)
            if email is not None:
                logger.error("Email %s: the worker stopped during the hand-off; it may have been sent", pk)
                flagged += _record_failure(email, str(STOPPED_DURING_HANDOFF), permanent=True) is not None
    return released, flagged


def _locked(rows, pk):
    return rows.select_for_update(of=("self",)).select_related("invoice__site", "payment").filter(pk=pk).first()


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
