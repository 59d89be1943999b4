"""Finding the one Wagtail Site a command names by hostname (and port)."""

from django.core.management.base import CommandError
from wagtail.models import Site


def site_named(hostname, port=None):
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
    return sites[0]
