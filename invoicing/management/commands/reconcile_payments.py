from django.core.management.base import BaseCommand

from invoicing.tasks import reconcile_payments


class Command(BaseCommand):
    help = "Settle card payments that Stripe completed but no webhook reported. Run every few minutes from cron."

    def handle(self, *args, **options):
        report = reconcile_payments.call()
        self.stdout.write(
            f"{report['checked']} checked, {report['counted']} counted, {report['closed']} closed, "
            f"{len(report['errors'])} error(s)."
        )
        for error in report["errors"]:
            self.stderr.write(error)
