"""Recurring invoices: one invoice per schedule and period, exactly once.

``generate_recurring_invoices`` is run daily (``manage.py generate_recurring_invoices`` from cron,
or the ``generate_recurring_invoices`` task). For each active schedule it creates every period
that has started and has no invoice yet, oldest first, each in its own transaction under a row
lock on the schedule; the unique constraint on (schedule, period_start) is the last guard. So a
run that comes late creates every missed period, each with its own dates and due date, and a
second run, or one started at the same time by another worker, creates nothing more.

The next period is the one after the latest period billed (so a draft deleted by hand is not
billed again), and, once a schedule was resumed, never one that started before it was resumed:
periods that started while a schedule was paused are skipped, not billed late.
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.exceptions import InvalidTransition, InvoicingError
from ..mail.kinds import EmailKind
from ..models import RecurringSchedule
from .autocharge import schedule_auto_charge
from .invoices import issue_invoice
from .outbox import send_invoice_email
from .templates import draft_from_template

logger = logging.getLogger(__name__)

Status = RecurringSchedule.Status
Action = RecurringSchedule.Action

ALLOWED_MOVES = {
    Status.ACTIVE: {Status.PAUSED, Status.ENDED},
    Status.PAUSED: {Status.ACTIVE, Status.ENDED},
    Status.ENDED: set(),
}


@dataclass
class RecurringRun:
    """What a run did: the invoices it created, the schedules it ended, and each failed
    schedule's error (by schedule id), which stops only that schedule until the next run."""

    created: int = 0
    ended: int = 0
    errors: dict = field(default_factory=dict)


def next_period(schedule):
    """The period the schedule bills next, or ``None`` when its end date or count is reached."""
    if schedule.max_invoices is not None and schedule.invoices.count() >= schedule.max_invoices:
        return None
    last_start = schedule.invoices.aggregate(last=Max("period_start"))["last"]
    for period in schedule.cadence.periods():
        if schedule.end_date is not None and period.start > schedule.end_date:
            return None
        if last_start is not None and period.start <= last_start:
            continue
        if schedule.resumed_on is not None and period.start < schedule.resumed_on:
            continue
        return period


def next_run_date(schedule, today=None):
    """The day the next invoice will be created: its period's start, or ``today`` when that
    period has started already (the next run catches it up). ``None`` for a paused or ended
    schedule, or one whose end date or count is reached."""
    if schedule.status != Status.ACTIVE:
        return None
    period = next_period(schedule)
    if period is None:
        return None
    return max(period.start, today or timezone.localdate())


def last_invoice(schedule):
    return schedule.invoices.order_by("-period_start").first()


def generate_recurring_invoices(today=None):
    """Create every due period's invoice of every active schedule (see the module's docstring)."""
    today = today or timezone.localdate()
    run = RecurringRun()
    for schedule_id in RecurringSchedule.objects.filter(status=Status.ACTIVE).values_list("pk", flat=True):
        try:
            while _bill_next_period(schedule_id, today, run):
                pass
        except InvoicingError as exc:
            logger.warning("Recurring schedule %s: %s", schedule_id, exc)
            run.errors[schedule_id] = str(exc)
        except Exception:
            logger.exception("Recurring schedule %s failed", schedule_id)
            run.errors[schedule_id] = _("An unexpected error stopped this schedule; see the logs.")
    return run


def _bill_next_period(schedule_id, today, run):
    """Bill the schedule's next due period, if any; ``True`` when there may be another one."""
    with transaction.atomic():
        schedule = RecurringSchedule.objects.select_for_update().get(pk=schedule_id)
        if schedule.status != Status.ACTIVE:
            return False
        period = next_period(schedule)
        if period is None:
            _end(schedule)
            run.ended += 1
            return False
        if period.start > today:
            return False
        invoice = _create_period_invoice(schedule, period)
        if invoice is None:
            return False
        _carry_out_action(schedule, invoice)
        run.created += 1
        return True


def _create_period_invoice(schedule, period):
    """The period's draft, or ``None`` when another run created it first (the constraint)."""
    try:
        with transaction.atomic():
            invoice = draft_from_template(schedule.template, client=schedule.client, period=period)
            invoice.schedule, invoice.period_start, invoice.period_end = schedule, period.start, period.end
            invoice.save(update_fields=["schedule", "period_start", "period_end"])
    except IntegrityError:
        logger.info("Recurring schedule %s: the period from %s was billed already", schedule.pk, period.start)
        return None
    return invoice


def _carry_out_action(schedule, invoice):
    """Issue (and email) the new invoice as the schedule says. An invoice whose card is charged
    automatically is not emailed: the client gets the receipt, or the failed-charge email."""
    if schedule.action == Action.DRAFT:
        return
    link = issue_invoice(invoice)
    auto_charge = schedule_auto_charge(invoice) if schedule.auto_charge else None
    if schedule.action == Action.SEND and auto_charge is None:
        send_invoice_email(invoice, EmailKind.INVOICE, link=link)


@contextmanager
def _move(schedule, target):
    """The schedule, locked, after checking that it may move to ``target``; ``schedule`` gets the
    saved state afterwards."""
    with transaction.atomic():
        locked = RecurringSchedule.objects.select_for_update().get(pk=schedule.pk)
        if target not in ALLOWED_MOVES[locked.status]:
            raise InvalidTransition(
                _("The schedule “%(schedule)s” is %(status)s and cannot become %(target)s.")
                % {
                    "schedule": locked.name,
                    "status": locked.get_status_display().lower(),
                    "target": Status(target).label.lower(),
                }
            )
        yield locked
    schedule.status, schedule.resumed_on, schedule.ended_at = locked.status, locked.resumed_on, locked.ended_at


def _end(schedule):
    schedule.status = Status.ENDED
    schedule.ended_at = timezone.now()
    schedule.save(update_fields=["status", "ended_at", "updated_at"])


def pause_schedule(schedule, *, by=None):
    """Active → paused: no invoice is created until it is resumed."""
    with _move(schedule, Status.PAUSED) as locked:
        locked.status = Status.PAUSED
        locked.save(update_fields=["status", "updated_at"])
    return schedule


def resume_schedule(schedule, *, by=None, today=None):
    """Paused → active. Periods that started while it was paused are skipped, not billed late:
    the next invoice is for the first period that starts on or after today."""
    with _move(schedule, Status.ACTIVE) as locked:
        locked.status = Status.ACTIVE
        locked.resumed_on = today or timezone.localdate()
        locked.save(update_fields=["status", "resumed_on", "updated_at"])
    return schedule


def end_schedule(schedule, *, by=None):
    """Active or paused → ended, for good: an ended schedule creates nothing and cannot resume."""
    with _move(schedule, Status.ENDED) as locked:
        _end(locked)
    return schedule
