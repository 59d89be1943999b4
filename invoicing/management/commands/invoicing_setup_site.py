"""Set a Wagtail Site up for billing: ``manage.py invoicing_setup_site <hostname> [--port N]``.

Creates the Pay page, the Billing account page and the Invoice emails page under the site's root
page, and its billing settings with their defaults. Safe to run again: what exists is kept."""

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from invoicing.services.sites import set_up_site


class Command(BaseCommand):
    help = (
        "Create the Pay page, the Billing account page, the Invoice emails page and the billing settings of a website."
    )

    def add_arguments(self, parser):
        parser.add_argument("hostname", help="The Wagtail Site's hostname, as in Settings → Sites.")
        parser.add_argument("--port", type=int, help="Its port, where several Sites share the hostname.")

    def handle(self, *args, hostname, port, **options):
        sites = Site.objects.filter(hostname=hostname).select_related("root_page")
        if port is not None:
            sites = sites.filter(port=port)
        if len(sites) != 1:
            known = ", ".join(f"{site.hostname}:{site.port}" for site in Site.objects.order_by("hostname", "port"))
            problem = "No" if not sites else "More than one"
            raise CommandError(
                f"{problem} Wagtail Site matches {hostname}{f':{port}' if port else ''}. Sites: {known or 'none'}."
                + (" Give --port." if len(sites) > 1 else "")
            )
        setup = set_up_site(sites[0])
        for page in setup.created:
            self.stdout.write(f"Created the page “{page.title}” at {page.url_path}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{hostname} is ready for billing: pay page {setup.pay_page.full_url}, "
                f"client accounts {setup.account_page.full_url}, "
                "billing settings under Settings → Billing."
            )
        )
