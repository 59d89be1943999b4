from django.core.management.base import BaseCommand

from invoicing.tasks import send_reminders


class Command(BaseCommand):
    help = (
        "Send the reminder steps that are due, on each website's schedule (Settings → Billing). "
        "Run daily from cron; running it late or twice sends nothing twice."
    )

    def handle(self, *args, **options):
        run = send_reminders.call()
        self.stdout.write(
            f"{run['sent']} reminder(s) queued, {run['skipped']} earlier step(s) skipped, "
            f"{run['waiting']} invoice(s) waiting a day after an email of their own, "
            f"{run['failed']} could not be reminded."
        )
