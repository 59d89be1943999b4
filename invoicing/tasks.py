"""Background tasks (django-tasks), each one call of a service: the periodic sweeps that cron (or
a scheduler) starts, and the admin's bulk jobs. Sending one email is ``services.delivery``'s task."""

from dataclasses import asdict

from django_tasks import task

from .services import autocharge, bulk, delivery, outbox, reconcile, recurring, reminders
from .services.delivery import deliver_email


@task()
def retry_due_emails():
    """Run periodically (``manage.py send_due_emails`` from cron): emails whose worker stopped
    (``delivery.release_stalled_claims``), retries whose time has come, and queued emails whose
    task was lost."""
    delivery.release_stalled_claims()
    due = outbox.due_emails()
    for email_id in due:
        deliver_email.enqueue(email_id)
    return len(due)


@task()
def resume_stalled_jobs():
    """Run periodically (``manage.py send_due_emails`` from cron): bulk actions whose worker
    stopped, or whose task was lost, are queued again and resume where they stopped."""
    resumed = bulk.resume_stalled_jobs()
    for job_id in resumed:
        run_bulk_job.enqueue(job_id)
    return len(resumed)


@task()
def send_reminders():
    """Run daily (``manage.py send_reminders`` from cron): each website's reminder steps that are due.
    Returns the counts of ``reminders.ReminderRun`` (sent, skipped, waiting, failed)."""
    return asdict(reminders.send_due_reminders())


@task()
def generate_recurring_invoices():
    """Run daily (``manage.py generate_recurring_invoices`` from cron): each due period's invoice of
    every active recurring schedule, once; a late run catches up every missed period."""
    return asdict(recurring.generate_recurring_invoices())


@task()
def run_bulk_job(job_id):
    """A bulk action from the admin (``services.bulk``); the admin's progress page watches its counts."""
    bulk.run_bulk_job(job_id)


@task()
def reconcile_payments():
    """Run every few minutes (``manage.py reconcile_payments`` from cron): card payments that no
    webhook settled are read again from Stripe and settled once."""
    return asdict(reconcile.reconcile_card_payments())


@task()
def purge_exports():
    """Run hourly (``manage.py purge_invoicing_exports`` from cron): bulk-export ZIPs older than
    ``INVOICING_EXPORT_MAX_AGE_HOURS`` are deleted, so that no batch of invoices lingers on disk."""
    return bulk.purge_expired_archives()


@task()
def run_due_auto_charges():
    """Run every few minutes (``manage.py run_auto_charges`` from cron): automatic charges whose
    attempt is due (a retry, or a first attempt whose task was lost) are tried, each once."""
    return autocharge.run_due_auto_charges()
