"""Reminders for overdue invoices, sent by the system on each site's schedule."""

import logging
from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..core.exceptions import InvoicingError
from ..mail.kinds import EmailKind
from ..models import BillingSettings, Invoice, OutboundEmail
from .outbox import send_invoice_email

logger = logging.getLogger(__name__)


def invoices_due_a_reminder(now=None):
    """Overdue open invoices of sites with reminders on, with no reminder within the site's interval."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = []
    for billing in BillingSettings.objects.filter(reminder_interval_days__gt=0).select_related("site"):
        recent_reminder = OutboundEmail.objects.filter(
            invoice=OuterRef("pk"),
            kind=EmailKind.REMINDER,
            created_at__gt=now - timedelta(days=billing.reminder_interval_days),
        ).exclude(status=OutboundEmail.Status.FAILED)
        due += Invoice.objects.filter(site=billing.site).overdue(today).exclude(Exists(recent_reminder))
    return due


def send_due_reminders(now=None):
    """Queue one reminder per invoice that is due one; returns how many were queued.

    Each reminder is its own transaction: one invoice that cannot be reminded (its client's
    address bounced, say) does not hold up the others.
    """
    sent = 0
    for invoice in invoices_due_a_reminder(now):
        try:
            send_invoice_email(invoice, EmailKind.REMINDER, trigger=OutboundEmail.Trigger.SCHEDULE)
        except InvoicingError as exc:
            logger.warning("No reminder for invoice %s: %s", invoice.pk, exc)
            continue
        sent += 1
    return sent
