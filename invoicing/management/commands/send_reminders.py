from django.core.management.base import BaseCommand

from invoicing.tasks import send_reminders


class Command(BaseCommand):
    help = "Queue reminders for overdue invoices, on each website's schedule. Run daily from cron."

    def handle(self, *args, **options):
        self.stdout.write(f"{send_reminders.call()} reminder(s) queued.")
