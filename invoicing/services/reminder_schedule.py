"""Which invoices may be reminded, and what each one's schedule says today: shared by the daily run
(``services.reminders``), the pause and resume actions, the admin's inspect view and the API."""

from dataclasses import dataclass, replace
from datetime import timedelta

from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..core.instalments import first_open
from ..core.lifecycle import InvoiceStatus
from ..core.reminder_schedule import instalment_prefix, plan_reminders
from ..mail.kinds import EmailKind
from ..models import AutoCharge, BillingSettings, CardPayment, Instalment, Invoice, InvoiceReminder, OutboundEmail
from .amounts_due import instalment_states

# An invoice that got an email of its own (sent by a person, a payment, a fresh link) this recently
# is not reminded yet: no "past due" reminder the morning after a manual send.
QUIET_AFTER_EMAIL = timedelta(hours=24)


def remindable(invoices):
    """The invoices of ``invoices`` that reminders may go to: open, with a due date, not paused by
    an admin, with no automatic charge still to be tried and no card payment processing."""
    return (
        invoices.filter(status=InvoiceStatus.OPEN, due_date__isnull=False, reminders_paused=False)
        .exclude(Exists(AutoCharge.objects.pending().filter(invoice=OuterRef("pk"))))
        .exclude(Exists(CardPayment.objects.processing().filter(invoice=OuterRef("pk"))))
    )


def _latest(queryset, field):
    return Subquery(queryset.filter(invoice=OuterRef("pk")).order_by(f"-{field}").values(field)[:1])


def with_reminder_history(invoices):
    """``invoices`` annotated with what the schedule needs, in the same query: the last reminder
    email (by hand, or from before steps existed), the last email of the invoice's own (not a
    scheduled reminder), and the date of the last step recorded."""
    emails = OutboundEmail.objects.exclude(status=OutboundEmail.Status.FAILED)
    return invoices.annotate(
        has_plan=Exists(Instalment.objects.filter(invoice=OuterRef("pk"))),
        last_reminded_at=_latest(emails.filter(kind=EmailKind.REMINDER), "created_at"),
        last_own_email_at=_latest(emails.exclude(trigger=OutboundEmail.Trigger.SCHEDULE), "created_at"),
        last_step_on=_latest(InvoiceReminder.objects.all(), "due_on"),
    )


def done_through(invoice):
    """Steps dated on or before this count as done: before the invoice was issued, or on or before
    the day of a reminder already sent (so that the steps' arrival does not remind anyone again)."""
    dates = [
        timezone.localdate(invoice.issued_at) - timedelta(days=1) if invoice.issued_at else None,
        timezone.localdate(invoice.last_reminded_at) if invoice.last_reminded_at else None,
        invoice.last_step_on,
    ]
    return max(filter(None, dates), default=None)


def reminded_for(invoice):
    """The date the schedule counts from, and the prefix of its step keys: under a payment plan, the
    first open instalment's date and its own steps (``i2:after_7``), so that once instalment 1 is
    paid, instalment 2 is reminded in turn; otherwise the due date, and the steps as they are."""
    if getattr(invoice, "has_plan", True):
        upcoming = first_open(instalment_states(invoice))
        if upcoming is not None:
            return upcoming.due_date, instalment_prefix(upcoming.sequence)
    return invoice.due_date, ""


def plan_for(invoice, billing, *, today, done_keys=()):
    """``invoice`` (annotated by ``with_reminder_history``): its ``ReminderPlan`` for ``today``."""
    due_on, prefix = reminded_for(invoice)
    return plan_reminders(
        due_on,
        billing.reminder_steps,
        billing.reminder_interval_days,
        today=today,
        done_keys=done_keys,
        done_through=done_through(invoice),
        prefix=prefix,
    )


def steps_done(invoice):
    return set(InvoiceReminder.objects.filter(invoice=invoice).values_list("step", flat=True))


def quiet_until(invoice):
    """When the quiet time after the invoice's last email of its own ends (``None``: no such email)."""
    return invoice.last_own_email_at + QUIET_AFTER_EMAIL if invoice.last_own_email_at else None


@dataclass(frozen=True)
class ReminderOutlook:
    """The next reminder of one invoice (a ``ScheduledStep``, dated when it goes out), or why none."""

    next: object = None
    reason: str = ""


def why_not_reminded(invoice):
    """Why ``invoice`` gets no reminder whatever its schedule says, for people; "" when it may."""
    if invoice.status != InvoiceStatus.OPEN:
        if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
            return _("No reminders: the invoice is written off.")
        return _("No reminders: the invoice is %(status)s.") % {"status": invoice.get_status_display().lower()}
    if invoice.due_date is None:
        return _("No reminders: the invoice has no due date.")
    if invoice.reminders_paused:
        return _("Reminders paused by an admin.")
    if AutoCharge.objects.pending().filter(invoice=invoice).exists():
        return _("No reminders while the automatic charge is pending.")
    if CardPayment.objects.processing().filter(invoice=invoice).exists():
        return _("No reminders while a card payment is processing.")
    return ""


def reminder_outlook(invoice, now=None):
    now = now or timezone.now()
    if reason := why_not_reminded(invoice):
        return ReminderOutlook(reason=reason)
    billing = BillingSettings.for_site(invoice.site)
    if not billing.reminder_steps:
        return ReminderOutlook(reason=_("Reminders are off for this website (Settings → Billing)."))
    today = timezone.localdate(now)
    invoice = with_reminder_history(Invoice.objects.filter(pk=invoice.pk)).get()
    plan = plan_for(invoice, billing, today=today, done_keys=steps_done(invoice))
    if plan.send:
        # Due already: it goes with the next run, once the quiet time after an email has passed.
        quiet = quiet_until(invoice)
        goes_on = max(today, timezone.localdate(quiet)) if quiet and quiet > now else today
        return ReminderOutlook(next=replace(plan.send, date=goes_on))
    if plan.upcoming:
        return ReminderOutlook(next=plan.upcoming)
    return ReminderOutlook(reason=_("No more reminders: every step of the schedule has been sent."))


def next_reminder(invoice, now=None):
    """The next reminder of ``invoice`` as a ``ScheduledStep`` (key, date, label), or ``None``."""
    return reminder_outlook(invoice, now).next
