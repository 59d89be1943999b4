from django.core.management.base import BaseCommand

from invoicing.tasks import resume_stalled_jobs, retry_due_emails


class Command(BaseCommand):
    help = (
        "Queue the outbox emails that are due (retries whose time has come, lost enqueues, emails whose "
        "worker stopped) and resume the bulk actions whose worker stopped. Run every minute from cron."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{retry_due_emails.call()} email(s) queued for sending.")
        self.stdout.write(f"{resume_stalled_jobs.call()} bulk action(s) queued to resume.")
