"""Reminders on each website's schedule of steps (``core.reminder_steps``), and pausing them.

The guarantees, and how each is kept:

- Each step goes out at most once per invoice: its ``InvoiceReminder`` row is inserted in the
  transaction that queues the email, and the unique (invoice, step) constraint makes a second run,
  concurrent or not, fail that insert and send nothing.
- After downtime, only the latest step that is due goes out; the earlier ones are recorded as
  skipped, on the timeline too. Never a burst.
- Never to an invoice that is not open, has no due date, has its reminders paused, or is waiting
  for an automatic charge or a processing card payment (``reminder_schedule.remindable``), and not
  within a day of an email of its own (the step waits for the next run).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..core.exceptions import InvalidTransition, InvoicingError
from ..core.lifecycle import InvoiceStatus
from ..mail.kinds import EmailKind
from ..models import BillingSettings, Invoice, InvoiceEvent, InvoiceReminder, OutboundEmail
from .events import record_event
from .invoices import describe
from .locking import lock_invoice
from .outbox import send_invoice_email
from .reminder_schedule import plan_for, quiet_until, remindable, steps_done, with_reminder_history

logger = logging.getLogger(__name__)

LATER_STEP_DUE = gettext_lazy("A later step was due too: only the latest is sent.")
WHILE_PAUSED = gettext_lazy("Due while reminders were paused.")


# What the daily run reads of each invoice: its dates, and what a payment plan's states need.
REMINDER_FIELDS = (
    "pk",
    "due_date",
    "issued_at",
    "collect_by",
    "currency",
    "total",
    "amount_paid",
    "amount_credited",
    "early_discount_taken",
)


@dataclass
class ReminderRun:
    """What one run did: reminders queued, earlier steps skipped, invoices left for the next run
    (an email of their own in the last day), and invoices that could not be reminded."""

    sent: int = 0
    skipped: int = 0
    waiting: int = 0
    failed: int = 0


def send_due_reminders(now=None):
    """Queue the reminders that are due, each invoice in its own transaction; returns a ``ReminderRun``.

    One query per website finds the invoices with a step due; each of those is then planned again
    from fresh data inside its transaction.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = ReminderRun()
    for billing in BillingSettings.objects.select_related("site"):
        steps = billing.reminder_steps
        if not steps:
            continue
        # No step of an invoice due (or with an instalment due) after this date has come yet.
        latest_due_date = today - timedelta(days=steps[0].days_after_due)
        invoices = with_reminder_history(
            remindable(Invoice.objects.filter(site=billing.site, collect_by__lte=latest_due_date))
        ).only(*REMINDER_FIELDS)
        for invoice in invoices.iterator(chunk_size=2000):
            if plan_for(invoice, billing, today=today).send is not None:
                _remind(invoice.pk, billing, now, run)
    if run != ReminderRun():
        logger.info("Reminders: %s", run)
    return run


def _remind(invoice_pk, billing, now, run):
    try:
        with transaction.atomic():
            invoice = with_reminder_history(remindable(Invoice.objects.filter(pk=invoice_pk))).first()
            if invoice is None:
                return  # paid, paused, … since the website's query
            plan = plan_for(invoice, billing, today=timezone.localdate(now), done_keys=steps_done(invoice))
            if plan.send is None:
                return
            if (quiet := quiet_until(invoice)) and quiet > now:
                run.waiting += 1
                return
            # The guard: a second run inserting the same step fails here, before any email.
            reminder = InvoiceReminder.objects.create(invoice=invoice, step=plan.send.key, due_on=plan.send.date)
            lock_invoice(invoice)
            if not remindable(Invoice.objects.filter(pk=invoice.pk)).exists():
                transaction.set_rollback(True)  # paid, paused, written off, … a moment ago
                return
            _record_skipped(invoice, plan.skip, LATER_STEP_DUE)
            reminder.email = send_invoice_email(
                invoice, EmailKind.REMINDER, trigger=OutboundEmail.Trigger.SCHEDULE, step=plan.send.step
            )
            reminder.save(update_fields=["email"])
    except IntegrityError:
        logger.info("Invoice %s was reminded by another run", invoice_pk)
        return
    except InvoicingError as exc:
        logger.warning("No reminder for invoice %s: %s", invoice_pk, exc)
        run.failed += 1
        return
    run.sent += 1
    run.skipped += len(plan.skip)


def _record_skipped(invoice, steps, reason):
    if not steps:
        return
    InvoiceReminder.objects.bulk_create(
        InvoiceReminder(invoice=invoice, step=step.key, due_on=step.date, skipped=True) for step in steps
    )
    # One line on the timeline for the lot: a long outage must not bury the rest of the history.
    record_event(
        invoice,
        InvoiceEvent.Kind.REMINDER_SKIPPED,
        steps=", ".join(f"{step.label} ({step.date.isoformat()})" for step in steps),
        reason=str(reason),
    )


def pause_reminders(invoice, *, by=None):
    """No reminders for ``invoice`` until ``resume_reminders``; whatever else happens to it."""
    with transaction.atomic():
        lock_invoice(invoice)
        if invoice.reminders_paused:
            raise InvalidTransition(
                _("Reminders for invoice %(invoice)s are already paused.") % {"invoice": describe(invoice)}
            )
        if invoice.status != InvoiceStatus.OPEN:
            raise InvalidTransition(
                _("Invoice %(invoice)s is %(status)s: it gets no reminders to pause.")
                % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
            )
        invoice.reminders_paused = True
        invoice.save(update_fields=["reminders_paused", "updated_at"])
        record_event(invoice, InvoiceEvent.Kind.REMINDERS_PAUSED, by=by)


def resume_reminders(invoice, *, by=None, now=None):
    """Reminders go on with the next step on its own date: the steps that fell due while they were
    paused are recorded as skipped, so that resuming never sends a catch-up at once."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_invoice(invoice)
        if not invoice.reminders_paused:
            raise InvalidTransition(
                _("Reminders for invoice %(invoice)s are not paused.") % {"invoice": describe(invoice)}
            )
        invoice.reminders_paused = False
        invoice.save(update_fields=["reminders_paused", "updated_at"])
        record_event(invoice, InvoiceEvent.Kind.REMINDERS_RESUMED, by=by)
        if invoice.due_date is None:
            return
        billing = BillingSettings.for_site(invoice.site)
        history = with_reminder_history(Invoice.objects.filter(pk=invoice.pk)).get()
        # Steps dated today are not past yet: today's run may still send one.
        yesterday = timezone.localdate(now) - timedelta(days=1)
        plan = plan_for(history, billing, today=yesterday, done_keys=steps_done(invoice))
        _record_skipped(invoice, [*plan.skip, plan.send] if plan.send else [], WHILE_PAUSED)
