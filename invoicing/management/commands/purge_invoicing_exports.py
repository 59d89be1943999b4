from django.core.management.base import BaseCommand

from invoicing.tasks import purge_exports


class Command(BaseCommand):
    help = "Delete the bulk-export ZIPs older than INVOICING_EXPORT_MAX_AGE_HOURS. Run hourly from cron."

    def handle(self, *args, **options):
        self.stdout.write(f"{purge_exports.call()} export(s) deleted.")
