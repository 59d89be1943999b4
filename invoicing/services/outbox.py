"""The outbox of invoice emails: an email is composed and written as a row inside the caller's
transaction, and handed to ``delivery`` after commit, so a rollback sends nothing.

Raw payment-link tokens are never stored, so an email that carries the pay link either gets the
``IssuedLink`` that was just issued, or rotates the link in the same transaction: a resend or a
reminder always carries a fresh link, and older links then lead to the recovery page. The outbox
row holds the token only until the email is sent; then ``delivery`` redacts it.
"""

import logging
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import invoicing_settings
from ..core.exceptions import InvalidTransition
from ..core.lifecycle import COLLECTIBLE_STATES, ClientRequest, client_may
from ..mail.compose import compose_email
from ..mail.kinds import EmailKind
from ..models import BillingSettings, InvoiceEmailTemplatePage, OutboundEmail
from .amounts_due import amounts_due
from .delivery import schedule_delivery
from .invoices import describe, issue_invoice
from .locking import lock_invoice
from .sites import account_url
from .tokens import open_new_link

logger = logging.getLogger(__name__)

# A queued email whose task never ran (the enqueue was lost) is picked up by due_emails.
STALE_QUEUED_AFTER = timedelta(minutes=5)


def fresh_link_interval():
    return timedelta(minutes=invoicing_settings.INVOICING_FRESH_LINK_MINUTES)


def send_invoice_email(
    invoice, kind, *, link=None, by=None, trigger=OutboundEmail.Trigger.REQUESTED, failure_reason="", step=None
):
    """Queue an email of ``kind`` for ``invoice``; it is sent after the current transaction commits.

    A new-invoice email, a reminder or a failed-charge email (with ``failure_reason``) carries the
    pay link: ``link`` (the ``IssuedLink`` from ``issue_invoice``) when given, else a freshly
    rotated one. A receipt is for the latest payment. A scheduled reminder names its ``step``
    (``core.reminder_steps``), whose own wording it uses where the website's page has one.
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
        return _queue(invoice, kind, pay_url=link.url, by=by, trigger=trigger, failure_reason=failure_reason, step=step)


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

    It goes only to the address on file, at most once per invoice per interval, and only where
    the invoice's state lets a client ask for one (``CLIENT_REQUESTS``); the page answers the same
    whatever happens here.
    """
    invoice = link.invoice
    if not client_may(invoice, ClientRequest.FRESH_LINK):
        return False
    if not cache.add(f"invoicing:fresh-link:{invoice.pk}", True, timeout=fresh_link_interval().total_seconds()):
        logger.info("Fresh link for invoice %s refused: one was sent recently", invoice.pk)
        return False
    send_invoice_email(invoice, EmailKind.INVOICE, trigger=OutboundEmail.Trigger.FRESH_LINK)
    return True


def sender_address(site, template, billing):
    name = template.sender_name or billing.sender_name or site.site_name
    return formataddr((name, billing.sender_email or settings.DEFAULT_FROM_EMAIL))


def _queue(invoice, kind, *, pay_url=None, payment=None, by=None, trigger, failure_reason="", step=None):
    site = invoice.site
    billing = BillingSettings.for_site(site)
    # A site without a published template page still gets emails, with the default wording.
    template = InvoiceEmailTemplatePage.for_site(site) or InvoiceEmailTemplatePage()
    due = amounts_due(invoice)  # the early-payment discount's price and last day, where one applies
    composed = compose_email(
        template,
        kind,
        invoice,
        locale=billing.locale,
        pay_url=pay_url,
        payment=payment,
        logo_url=template.logo_url(site),
        account_url=account_url(site),
        failure_reason=failure_reason,
        step=step,
        early_price=due.early_price,
        early_until=due.early_until,
    )
    email = OutboundEmail.objects.create(
        invoice=invoice,
        payment=payment,
        kind=kind,
        trigger=trigger,
        to_email=invoice.billing_email or invoice.client.email,
        from_email=sender_address(site, template, billing),
        reply_to=billing.reply_to,
        subject=composed.subject,
        html_body=composed.html,
        text_body=composed.text,
        pay_url=pay_url or "",
        created_by=by,
    )
    # Robust: once the caller's transaction has committed, a failing enqueue must not turn the
    # request into an error; the row stays queued and retry_due_emails picks it up.
    transaction.on_commit(lambda: schedule_delivery(email.pk), robust=True)
    return email


def due_emails(now=None):
    """Rows waiting for a retry whose time has come, and queued rows whose task never ran."""
    now = now or timezone.now()
    return list(
        OutboundEmail.objects.filter(
            Q(status=OutboundEmail.Status.RETRYING, next_attempt_at__lte=now)
            | Q(status=OutboundEmail.Status.QUEUED, created_at__lte=now - STALE_QUEUED_AFTER)
        ).values_list("pk", flat=True)
    )
