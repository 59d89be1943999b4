from django.core.management.base import BaseCommand

from invoicing.tasks import run_due_auto_charges


class Command(BaseCommand):
    help = (
        "Charge the saved cards of invoices whose automatic charge is due (retries after a failure, and first"
        " attempts whose task was lost). Run every few minutes from cron; two runs at once charge once."
    )

    def handle(self, *args, **options):
        tried = run_due_auto_charges.call()
        self.stdout.write(f"{tried} automatic charge(s) tried.")
