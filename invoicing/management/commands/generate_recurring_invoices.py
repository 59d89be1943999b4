from django.core.management.base import BaseCommand

from invoicing.tasks import generate_recurring_invoices


class Command(BaseCommand):
    help = (
        "Create the invoices of recurring schedules whose period has started, each period once; after "
        "downtime, every missed period. Run daily from cron."
    )

    def handle(self, *args, **options):
        run = generate_recurring_invoices.call()
        self.stdout.write(f"{run['created']} recurring invoice(s) created, {run['ended']} schedule(s) ended.")
        for schedule_id, error in run["errors"].items():
            self.stderr.write(f"Schedule {schedule_id}: {error}")
