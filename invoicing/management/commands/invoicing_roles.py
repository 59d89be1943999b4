"""``manage.py invoicing_roles [--site HOST]``: the Billing clerk, Billing manager and Marketing
editor groups of every website (or one), made or put back as ``core.roles`` declares them. Running
it again changes nothing, unless someone removed what a role needs: then it says what it restored."""

from django.core.management.base import BaseCommand
from wagtail.models import Site

from invoicing.services.roles import ensure_roles

from ._sites import site_named


class Command(BaseCommand):
    help = "Create, or bring up to date, the billing roles' groups of each website."

    def add_arguments(self, parser):
        parser.add_argument("--site", dest="hostname", help="One website's hostname, as in Settings → Sites.")
        parser.add_argument("--port", type=int, help="Its port, where several Sites share the hostname.")

    def handle(self, *args, hostname, port, **options):
        sites = [site_named(hostname, port)] if hostname else Site.objects.order_by("hostname", "port")
        for site in sites:
            report_roles(self, site)


def report_roles(command, site):
    """Run ``ensure_roles`` for ``site`` and say what it did, on ``command``'s output."""
    for result in ensure_roles(site):
        name = result.group.name
        if result.created:
            command.stdout.write(command.style.SUCCESS(f"Created the group “{name}”."))
        elif result.restored:
            command.stdout.write(command.style.WARNING(f"Restored in “{name}”: {'; '.join(result.restored)}."))
        else:
            command.stdout.write(f"“{name}” is up to date.")
        for problem in result.problems:
            command.stderr.write(command.style.ERROR(problem))
