"""Factories for the domain. Websites are real Wagtail Sites with their own home and pay pages."""

from decimal import Decimal

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import get_supported_language_variant
from wagtail.models import Locale, Page, Site

from home.models import HomePage
from invoicing.models import BillingSettings, Client, InvoiceEmailTemplatePage, PayPage
from invoicing.services import invoices as invoice_services


def make_website(hostname, *, port=80, prefix="INV", currency="EUR", number_format="{prefix}-{year}-{number:05}"):
    """A Site with a home page, a live pay page, a branding page and billing settings."""
    Locale.objects.get_or_create(language_code=get_supported_language_variant(settings.LANGUAGE_CODE))
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root"))
    slug = hostname.split(".")[0]
    home = root.add_child(instance=HomePage(title=hostname, slug=slug))
    site = Site.objects.create(hostname=hostname, port=port, root_page=home, site_name=slug.title())
    home.add_child(instance=PayPage(title="Pay", slug="pay"))
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
