"""Invoice emails: queued in the outbox inside the caller's transaction, sent by a task after
commit, retried with backoff, and tracked through the ESP's delivery webhooks.

Raw payment-link tokens are never stored, so an email that carries the pay link either gets the
``IssuedLink`` that was just issued, or rotates the link in the same transaction: a resend or a
reminder always carries a fresh link, and older links then lead to the recovery page. The outbox
row holds the token only until the email is sent; then it is redacted.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import invoicing_settings
from ..exceptions import EmailRefused, InvalidTransition
from ..lifecycle import COLLECTIBLE_STATES
from ..log_filters import redact
from ..mail.compose import compose_email
from ..mail.kinds import EmailKind
from ..models import BillingSettings, EmailAttempt, InvoiceEmailTemplatePage, InvoiceEvent, OutboundEmail
from . import documents
from .events import record_event
from .invoices import describe, issue_invoice
from .locking import lock_invoice
from .tokens import open_new_link

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_DELAY = timedelta(minutes=1)  # then 2, 4, 8 and 16 minutes
# A queued email whose task never ran (the enqueue was lost) is picked up by retry_due_emails.
STALE_QUEUED_AFTER = timedelta(minutes=5)


def fresh_link_interval():
    return timedelta(minutes=invoicing_settings.INVOICING_FRESH_LINK_MINUTES)


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_at: datetime | None = None


def send_invoice_email(invoice, kind, *, link=None, by=None, trigger=OutboundEmail.Trigger.REQUESTED):
    """Queue an email of ``kind`` for ``invoice``; it is sent after the current transaction commits.

    A new-invoice email or a reminder carries the pay link: ``link`` (the ``IssuedLink`` from
    ``issue_invoice``) when given, else a freshly rotated one. A receipt is for the latest payment.
    """
    kind = EmailKind(kind)
    with transaction.atomic():
        lock_invoice(invoice)
        if kind == EmailKind.RECEIPT:
            if invoice.payment is None:
                raise InvalidTransition(
                    _("Invoice %(invoice)s has received no payment yet, so there is no receipt to send.")
                    % {"invoice": describe(invoice)}
                )
            return _queue(invoice, kind, payment=invoice.payment, by=by, trigger=trigger)
        if invoice.status not in COLLECTIBLE_STATES:
            raise InvalidTransition(
                _("Invoice %(invoice)s is %(status)s; only open invoices are sent or reminded.")
                % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
            )
        link = link or open_new_link(invoice, by=by)
        return _queue(invoice, kind, pay_url=link.url, by=by, trigger=trigger)


def issue_and_send_invoice(invoice, *, by=None):
    """Issue a draft and email it with the link just issued, together: both or neither."""
    with transaction.atomic():
        link = issue_invoice(invoice, by=by)
        return send_invoice_email(invoice, EmailKind.INVOICE, link=link, by=by)


def queue_receipt(payment, *, link=None):
    """The automatic receipt for a new payment; called inside ``apply_payment``'s transaction.

    ``link`` is the link just opened for the rest of the balance after a partial payment: the
    receipt is the only place the client gets it. Payment state never depends on email: whatever
    goes wrong here is logged, and the payment stands. The unique (payment, kind) constraint keeps
    it to one receipt per payment.
    """
    try:
        with transaction.atomic():
            return _queue(
                payment.invoice,
                EmailKind.RECEIPT,
                payment=payment,
                pay_url=link.url if link else None,
                trigger=OutboundEmail.Trigger.PAYMENT,
            )
    except IntegrityError:
        logger.info("Payment %s already has its receipt", payment.pk)
    except Exception:
        logger.exception("Could not queue the receipt for payment %s; the payment is recorded", payment.pk)
    return None


def send_fresh_link(link):
    """A client on the recovery page asked for a fresh link. Returns whether one was queued.

    It goes only to the address on file, at most once per invoice per interval, and only for
    invoices that can still be paid; the page answers the same whatever happens here.
    """
    invoice = link.invoice
    if invoice.status not in COLLECTIBLE_STATES:
        return False
    if not cache.add(f"invoicing:fresh-link:{invoice.pk}", True, timeout=fresh_link_interval().total_seconds()):
        logger.info("Fresh link for invoice %s refused: one was sent recently", invoice.pk)
        return False
    send_invoice_email(invoice, EmailKind.INVOICE, trigger=OutboundEmail.Trigger.FRESH_LINK)
    return True


def _sender(site, template, billing):
    name = template.sender_name or billing.sender_name or site.site_name
    return formataddr((name, billing.sender_email or settings.DEFAULT_FROM_EMAIL))


def _queue(invoice, kind, *, pay_url=None, payment=None, by=None, trigger):
    site = invoice.site
    billing = BillingSettings.for_site(site)
    # A site without a published template page still gets emails, with the default wording.
    template = InvoiceEmailTemplatePage.for_site(site) or InvoiceEmailTemplatePage()
    composed = compose_email(
        template,
        kind,
        invoice,
        locale=billing.locale,
        pay_url=pay_url,
        payment=payment,
        logo_url=template.logo_url(site),
    )
    email = OutboundEmail.objects.create(
        invoice=invoice,
        payment=payment,
        kind=kind,
        trigger=trigger,
        to_email=invoice.billing_email or invoice.client.email,
        from_email=_sender(site, template, billing),
        reply_to=billing.reply_to,
        subject=composed.subject,
        html_body=composed.html,
        text_body=composed.text,
        pay_url=pay_url or "",
        created_by=by,
    )
    # Imported here: the tasks module imports this one.
    from ..tasks import schedule_delivery

    # Robust: once the caller's transaction has committed, a failing enqueue must not turn the
    # request into an error; the row stays queued and retry_due_emails picks it up.
    transaction.on_commit(lambda: schedule_delivery(email.pk), robust=True)
    return email


# Sending -----------------------------------------------------------------------------------


def deliver(email_id):
    """One attempt at sending an outbox row. Returns ``None`` when the row was not due."""
    email = _claim(email_id)
    if email is None:
        return None
    try:
        message = build_message(email)
        message.send()
    except EmailRefused as exc:
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


def due_emails(now=None):
    """Rows waiting for a retry whose time has come, and queued rows whose task never ran."""
    now = now or timezone.now()
    return list(
        OutboundEmail.objects.filter(
            Q(status=OutboundEmail.Status.RETRYING, next_attempt_at__lte=now)
            | Q(status=OutboundEmail.Status.QUEUED, created_at__lte=now - STALE_QUEUED_AFTER)
        ).values_list("pk", flat=True)
    )


# Delivery tracking -------------------------------------------------------------------------

DELIVERY_BY_ESP_EVENT = {
    "delivered": OutboundEmail.Delivery.DELIVERED,
    "opened": OutboundEmail.Delivery.OPENED,
    "bounced": OutboundEmail.Delivery.BOUNCED,
    "rejected": OutboundEmail.Delivery.BOUNCED,
    "complained": OutboundEmail.Delivery.COMPLAINED,
}
TIMELINE_KIND = {
    OutboundEmail.Delivery.DELIVERED: InvoiceEvent.Kind.DELIVERED,
    OutboundEmail.Delivery.OPENED: InvoiceEvent.Kind.OPENED,
    OutboundEmail.Delivery.BOUNCED: InvoiceEvent.Kind.BOUNCED,
    OutboundEmail.Delivery.COMPLAINED: InvoiceEvent.Kind.COMPLAINED,
}
# A later "opened" (some mail proxies open everything) must not hide a bounce or a complaint.
STICKY = {OutboundEmail.Delivery.BOUNCED, OutboundEmail.Delivery.COMPLAINED}


def record_delivery_event(*, message_id, event_type, recipient="", description=""):
    """Apply one ESP tracking event to the outbox row it is about. Unknown messages are ignored."""
    delivery = DELIVERY_BY_ESP_EVENT.get(event_type)
    if delivery is None or not message_id:
        return None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(esp_message_id=str(message_id)).first()
        if email is None:
            logger.info("Tracking event %s for unknown message %s ignored", event_type, message_id)
            return None
        if email.delivery not in STICKY or delivery in STICKY:
            email.delivery = delivery
        email.delivery_updated_at = timezone.now()
        email.save(update_fields=["delivery", "delivery_updated_at"])
        record_event(
            email.invoice,
            TIMELINE_KIND[delivery],
            email=email.pk,
            email_kind=email.kind,
            recipient=recipient,
            description=description or "",
        )
    return email
