"""Background tasks (django-tasks): sending the outbox. The services do the work; a task is one
attempt, and schedules the next one when the backend can run tasks later."""

from dataclasses import asdict

from django_tasks import task

from .services import bulk, emails, reconcile, reminders


@task()
def deliver_email(email_id):
    outcome = emails.deliver(email_id)
    if outcome is not None and outcome.retry_at is not None:
        schedule_delivery(email_id, run_after=outcome.retry_at)


def schedule_delivery(email_id, *, run_after=None):
    runner = deliver_email
    if run_after is not None:
        if not runner.get_backend().supports_defer:
            # The immediate backend (tests) cannot wait: retry_due_emails sends the retry when due.
            return
        runner = runner.using(run_after=run_after)
    runner.enqueue(email_id)


@task()
def retry_due_emails():
    """Run periodically (``manage.py send_due_emails`` from cron): retries whose time has come,
    and queued emails whose task was lost."""
    due = emails.due_emails()
    for email_id in due:
        deliver_email.enqueue(email_id)
    return len(due)


@task()
def send_reminders():
    """Run daily (``manage.py send_reminders`` from cron): reminders for overdue invoices."""
    return reminders.send_due_reminders()


@task()
def run_bulk_job(job_id):
    """A bulk action from the admin (``services.bulk``); the admin's progress page watches its counts."""
    bulk.run_bulk_job(job_id)


@task()
def reconcile_payments():
    """Run every few minutes (``manage.py reconcile_payments`` from cron): card payments that no
    webhook settled are read again from Stripe and settled once."""
    return asdict(reconcile.reconcile_card_payments())
