"""The reminder schedule of one invoice, as dates: pure, so that it can be reasoned about and tested
without a database.

The steps that are on (``core.reminder_steps``) fall on the due date plus their days. After the
last of them, a website may go on every ``interval_days``: ``repeat_1``, ``repeat_2``, … With no
step on there is nothing to repeat after, so no reminder at all: turning every step off is how a
website turns reminders off.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .reminder_steps import REPEAT_PREFIX, STEPS_BY_KEY

# Under a payment plan, each instalment has its own run of steps: ``i2:after_7`` is instalment 2's.
INSTALMENT_SEPARATOR = ":"


def instalment_prefix(sequence):
    return f"i{sequence}{INSTALMENT_SEPARATOR}" if sequence else ""


@dataclass(frozen=True)
class ScheduledStep:
    key: str
    date: date
    label: Promise | str

    @property
    def step(self):
        """The catalogue's step (``after_7``, ``repeat_2``), without an instalment's prefix."""
        return self.key.rpartition(INSTALMENT_SEPARATOR)[2]


def repeat_label(number):
    return _("Repeat reminder %(number)s") % {"number": number}


def step_label(key):
    """The label of a step key, a catalogue step's or a repeat's."""
    key = key.rpartition(INSTALMENT_SEPARATOR)[2]
    if key in STEPS_BY_KEY:
        return STEPS_BY_KEY[key].label
    number = key.removeprefix(REPEAT_PREFIX)
    return repeat_label(number) if number.isdigit() else key


def scheduled_steps(due_date, steps, interval_days, *, after=None, prefix=""):
    """The steps of an invoice due on ``due_date``, dated after ``after`` (all when ``None``), earliest
    first; endless when the website repeats. ``steps`` are the steps that are on, earliest first.
    ``prefix`` (``instalment_prefix``) makes the keys an instalment's own."""
    for step in steps:
        on = due_date + timedelta(days=step.days_after_due)
        if after is None or on > after:
            yield ScheduledStep(prefix + step.key, on, step.label)
    if not steps or not interval_days:
        return
    last = due_date + timedelta(days=steps[-1].days_after_due)
    # Jump straight to the first repeat after ``after``: an invoice overdue for years with a daily
    # repeat costs the same as a new one.
    number = 1 if after is None or after < last else (after - last).days // interval_days + 1
    while True:
        yield ScheduledStep(
            f"{prefix}{REPEAT_PREFIX}{number}", last + timedelta(days=number * interval_days), repeat_label(number)
        )
        number += 1


@dataclass(frozen=True)
class ReminderPlan:
    """What a run does for one invoice today: send ``send`` (the latest step due), record ``skip``
    (earlier steps due too, after downtime or a pause), and when nothing is due, ``upcoming``."""

    send: ScheduledStep | None
    skip: tuple
    upcoming: ScheduledStep | None


def plan_reminders(due_date, steps, interval_days, *, today, done_keys=(), done_through=None, prefix=""):
    """The plan for ``today``. Steps whose key is in ``done_keys`` happened (sent or skipped); steps
    dated on or before ``done_through`` count as done without a record (before the invoice was
    issued, or before a reminder already sent)."""
    due = []
    upcoming = None
    for step in scheduled_steps(due_date, steps, interval_days, after=done_through, prefix=prefix):
        if step.key in done_keys:
            continue
        if step.date > today:
            upcoming = step
            break
        due.append(step)
    return ReminderPlan(send=due[-1] if due else None, skip=tuple(due[:-1]), upcoming=upcoming)
