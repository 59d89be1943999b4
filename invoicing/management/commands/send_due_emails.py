from django.core.management.base import BaseCommand

from invoicing.tasks import retry_due_emails


class Command(BaseCommand):
    help = "Queue the outbox emails that are due: retries whose time has come, and lost enqueues. Run from cron."

    def handle(self, *args, **options):
        self.stdout.write(f"{retry_due_emails.call()} email(s) queued for sending.")
