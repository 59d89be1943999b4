"""Set a Wagtail Site up for billing: ``manage.py invoicing_setup_site <hostname> [--port N]``.

Creates the Pay page, the Billing account page and the Invoice emails page under the site's root
page, its billing settings with their defaults, and its roles' groups (as ``invoicing_roles``).
Safe to run again: what exists is kept."""

from django.core.management.base import BaseCommand

from invoicing.services.sites import set_up_site

from ._sites import site_named
from .invoicing_roles import report_roles


class Command(BaseCommand):
    help = (
        "Create the Pay page, the Billing account page, the Invoice emails page and the billing settings of a website."
    )

    def add_arguments(self, parser):
        parser.add_argument("hostname", help="The Wagtail Site's hostname, as in Settings → Sites.")
        parser.add_argument("--port", type=int, help="Its port, where several Sites share the hostname.")

    def handle(self, *args, hostname, port, **options):
        site = site_named(hostname, port)
        setup = set_up_site(site)
        for page in setup.created:
            self.stdout.write(f"Created the page “{page.title}” at {page.url_path}.")
        report_roles(self, site)
        self.stdout.write(
            self.style.SUCCESS(
                f"{hostname} is ready for billing: pay page {setup.pay_page.full_url}, "
                f"client accounts {setup.account_page.full_url}, "
                "billing settings under Settings → Billing."
            )
        )
