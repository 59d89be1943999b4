"""Setting a website up for billing: the pages and settings the module needs under its root, and
where the client's account page is."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import Page

from ..models import BillingAccountPage, InvoiceEmailTemplatePage, PayPage
from ..settings import BillingSettings


@dataclass
class SiteSetup:
    pay_page: PayPage
    account_page: BillingAccountPage
    email_page: InvoiceEmailTemplatePage
    created: list = field(default_factory=list)  # what this call made, for people


def _free_slug(parent, slug):
    taken = set(Page.objects.child_of(parent).values_list("slug", flat=True))
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    return candidate


def _ensure_page(site, model, title, slug, created):
    page = model.objects.descendant_of(site.root_page, inclusive=True).first()
    if page is not None:
        return page
    root = site.root_page
    page = root.add_child(instance=model(title=title, slug=_free_slug(root, slugify(slug))))
    page.save_revision().publish()
    created.append(page)
    return page


def set_up_site(site):
    """The Pay page, the Billing account page and the Invoice emails page under ``site``'s root,
    and its billing settings with their defaults. Idempotent: what exists (anywhere below the root) is kept as it is."""
    created = []
    with transaction.atomic():
        pay_page = _ensure_page(site, PayPage, _("Pay your invoice"), "pay", created)
        account = _ensure_page(site, BillingAccountPage, _("Your billing account"), "account", created)
        email_page = _ensure_page(site, InvoiceEmailTemplatePage, _("Invoice emails"), "invoice-emails", created)
        BillingSettings.for_site(site)
    return SiteSetup(
        pay_page=pay_page.specific, account_page=account.specific, email_page=email_page.specific, created=created
    )


def account_page(site):
    """The site's published billing account page, or ``None`` when it has none or turned it off."""
    if not BillingSettings.for_site(site).account_page_enabled:
        return None
    return BillingAccountPage.for_site(site)


def account_url(site):
    """The account page's plain URL (never a signed-in one), for emails; "" without one."""
    page = account_page(site)
    return page.full_route_url(site, "account") if page else ""
