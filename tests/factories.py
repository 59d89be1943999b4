"""Factories for the domain. Websites are real Wagtail Sites with their own home and pay pages."""

from decimal import Decimal

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils.translation import get_supported_language_variant
from wagtail.models import Collection, Locale, Page, Site

from home.models import HomePage
from invoicing.models import (
    BillingAccountPage,
    BillingSettings,
    Client,
    InvoiceEmailTemplatePage,
    PayPage,
    SiteBillingAccess,
)
from invoicing.services import invoices as invoice_services


def page_tree_root():
    """The page tree's root, the default locale and the root collection of images, made again where
    a transactional test before this one flushed the database (Wagtail's migrations made them; a
    flush does not)."""
    Locale.objects.get_or_create(language_code=get_supported_language_variant(settings.LANGUAGE_CODE))
    Collection.get_first_root_node() or Collection.add_root(name="Root")
    return Page.get_first_root_node() or Page.add_root(instance=Page(title="Root"))


def make_website(hostname, *, port=80, prefix="INV", currency="EUR", number_format="{prefix}-{year}-{number:05}"):
    """A Site with a home page, a live pay page and billing account page, a branding page and
    billing settings."""
    root = page_tree_root()
    slug = hostname.split(".")[0]
    home = root.add_child(instance=HomePage(title=hostname, slug=slug))
    site = Site.objects.create(hostname=hostname, port=port, root_page=home, site_name=slug.title())
    home.add_child(instance=PayPage(title="Pay", slug="pay"))
    home.add_child(instance=BillingAccountPage(title="Your billing account", slug="account"))
    home.add_child(instance=InvoiceEmailTemplatePage(title="Emails", slug="emails", brand_color="#123456"))
    BillingSettings.objects.update_or_create(
        site=site,
        defaults={"number_prefix": prefix, "default_currency": currency, "number_format": number_format},
    )
    return site


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")


# Permissions by name (see ``permissions_named``).
ACCESS_ADMIN = "wagtailadmin.access_admin"
EVERY_BILLING_PERMISSION = ("invoicing.*", ACCESS_ADMIN)


def permissions_named(*names):
    """The named permissions: ``"codename"`` for the invoicing app's, ``"app_label.codename"`` for
    another app's, ``"app_label.*"`` for all of an app's. A name that matches none is an error."""
    found = Permission.objects.none()
    for name in names:
        app_label, _, codename = name.rpartition(".")
        matching = Permission.objects.filter(content_type__app_label=app_label or "invoicing")
        if codename != "*":
            matching = matching.filter(codename=codename)
        if not matching.exists():
            raise ValueError(f"No permission is named {name!r}")
        found |= matching
    return found


def billing_group(*sites, name, permissions=()):
    """A group holding ``permissions`` (names, as ``permissions_named`` takes them) and billing
    access to ``sites`` only (``SiteBillingAccess``)."""
    group = Group.objects.create(name=name)
    group.permissions.set(permissions_named(*permissions))
    for site in sites:
        SiteBillingAccess.objects.create(group=group, site=site)
    return group


def billing_staff(*sites, username=None, permissions=(ACCESS_ADMIN, "view_invoice", "change_invoice")):
    """A staff user (not a superuser) who bills for ``sites`` only, through a group of their own
    that holds ``permissions``. By default they may use the admin, and view and change invoices."""
    user = UserFactory(is_staff=True, **({"username": username} if username else {}))
    user.groups.add(billing_group(*sites, name=f"{user.username} billing", permissions=permissions))
    return user


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    email = factory.Sequence(lambda n: f"client{n}@example.com")
    billing_address = "1 Main Street"


def line(description="Work", quantity="1", unit_price="100.00", tax_rate="0"):
    return {
        "description": description,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "tax_rate": Decimal(tax_rate),
    }


def draft_invoice(site, *, client=None, lines=None, currency=None, **fields):
    return invoice_services.create_invoice(
        site=site,
        client=client or ClientFactory(site=site),
        title=fields.pop("title", "Services"),
        lines=lines or [line()],
        currency=currency,
        **fields,
    )


def open_invoice(site, **kwargs):
    """An issued invoice and the link that was issued with it."""
    invoice = draft_invoice(site, **kwargs)
    link = invoice_services.issue_invoice(invoice)
    return invoice, link
