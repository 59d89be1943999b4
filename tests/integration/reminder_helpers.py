"""Shared by the reminder tests: a clock stopped at the daily run's hour, and what was sent."""

from datetime import UTC, datetime, time, timedelta

import time_machine

from invoicing.models import BillingSettings, InvoiceReminder, OutboundEmail
from invoicing.services.reminders import send_due_reminders

RUN_HOUR = time(9)
START = datetime(2027, 1, 4, 9, tzinfo=UTC).date()


def at(day, hour=RUN_HOUR):
    """A stopped clock on ``day`` at ``hour`` (the daily run's, by default)."""
    return time_machine.travel(datetime.combine(day, hour, tzinfo=UTC), tick=False)


def run_on(day):
    with at(day):
        return send_due_reminders()


def days(start, count):
    return [start + timedelta(days=n) for n in range(count)]


def set_steps(site, *keys, every=0):
    billing = BillingSettings.for_site(site)
    for field in [f.name for f in BillingSettings._meta.fields if f.name.startswith("remind_")]:
        setattr(billing, field, field.removeprefix("remind_") in keys)
    billing.reminder_interval_days = every
    billing.save()


def reminder_dates(invoice):
    """(step, the day its email was queued) of every reminder the schedule sent, in order."""
    return [
        (reminder.step, reminder.email.created_at.date())
        for reminder in InvoiceReminder.objects.filter(invoice=invoice, skipped=False).select_related("email")
    ]


def scheduled_emails(invoice=None):
    emails = OutboundEmail.objects.filter(kind="reminder", trigger=OutboundEmail.Trigger.SCHEDULE)
    return emails.filter(invoice=invoice) if invoice else emails
