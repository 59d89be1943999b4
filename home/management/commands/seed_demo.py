"""Create (or bring up to date) the demo: two websites, their pages (pay page, billing account
page, branding), clients and invoices in every state, and an admin. Safe to run again: nothing is
duplicated, and each run issues a fresh payment link per site, because raw tokens are never stored."""

import io
import os
import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_supported_language_variant
from wagtail.images.models import Image
from wagtail.models import Collection, Locale, Page, Site

from home import demo
from home.models import HomePage
from invoicing.models import (
    BillingSettings,
    Client,
    Invoice,
    InvoiceTemplate,
    InvoiceTemplateLine,
    RecurringSchedule,
)
from invoicing.services import invoices as invoice_services
from invoicing.services import payments as payment_services
from invoicing.services.sites import account_url, set_up_site
from invoicing.services.tokens import rotate_payment_link

# The client per website to sign in as on the billing account page: the first of ``demo``'s, whose
# invoices there are a draft, an overdue one and a void one. These give them the other states a
# client sees (title, lines, days until due, what happens after creation).
ACCOUNT_CLIENT_INDEX = 0
ACCOUNT_INVOICES = [
    ("Search engine audit", demo.lines(("SEO audit", "1", "640.00", "19")), 21, "open"),
    ("Content migration", demo.lines(("Page migration", "40", "35.00", "19")), 25, "partially_paid"),
    ("Domain renewals", demo.lines(("Domain, one year", "4", "18.00", "19")), -5, "paid"),
]


class Command(BaseCommand):
    help = "Create or refresh the demo websites, invoices and admin user, and print fresh pay links."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, port, **options):
        with transaction.atomic():
            admin, password = self.ensure_admin()
            self.ensure_wagtail_roots()
            self.remove_wagtail_welcome_site()
            websites = []
            for index, spec in enumerate(demo.SITES):
                site = self.ensure_site(spec, port=port, is_default=index == 0)
                account_client = self.ensure_invoices(site, spec, admin)
                self.ensure_recurring(site)
                invoice = Invoice.objects.get(site=site, title=demo.LINK_INVOICE_TITLE)
                websites.append((site, rotate_payment_link(invoice, by=admin), account_client))
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Admin:    http://localhost:{port}/admin/  (user: admin, password: {password})")
        for site, link, account_client in websites:
            self.stdout.write(
                f"  {site.site_name}: {site.root_url}/  pay link: {link.url}"
                f"  account: {account_url(site)} (sign in as {account_client.email})"
            )

    def ensure_admin(self):
        user, _ = get_user_model().objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
        )
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        return user, password

    def ensure_wagtail_roots(self):
        """Wagtail's migrations make the page tree's root, the root collection and the default
        locale; a flushed database (``manage.py flush``) has none of them."""
        Locale.objects.get_or_create(language_code=get_supported_language_variant(settings.LANGUAGE_CODE))
        if Page.get_first_root_node() is None:
            Page.add_root(instance=Page(title="Root"))
        if Collection.get_first_root_node() is None:
            Collection.add_root(name="Root")

    def remove_wagtail_welcome_site(self):
        for site in Site.objects.filter(hostname="localhost", port=80).select_related("root_page"):
            welcome = site.root_page
            site.delete()
            if welcome.specific_class is Page:
                welcome.delete()

    def ensure_site(self, spec, *, port, is_default):
        root = Page.get_first_root_node()
        home = HomePage.objects.filter(slug=spec["slug"]).first()
        if home is None:
            home = root.add_child(instance=HomePage(title=spec["site_name"], slug=spec["slug"], intro=spec["intro"]))
        site, _ = Site.objects.update_or_create(
            hostname=spec["hostname"],
            defaults={"port": port, "root_page": home, "site_name": spec["site_name"], "is_default_site": is_default},
        )
        setup = set_up_site(site)  # the pay page, the billing account page and the emails page
        if not setup.account_page.live:  # unpublished since the last run: the demo signs clients in
            setup.account_page.save_revision().publish()
        template = setup.email_page
        template.brand_color, template.accent_color, template.footer = (
            spec["brand_color"],
            spec["accent_color"],
            spec["footer"],
        )
        template.logo = self.ensure_logo(spec)
        for field, value in spec["emails"].items():
            setattr(template, field, value)
        template.full_clean()  # the placeholders, as the editor would be told
        template.save_revision().publish()
        billing = BillingSettings.for_site(site)
        for field, value in spec["billing"].items():
            setattr(billing, field, value)
        billing.account_page_enabled = True
        billing.save()
        return site

    def ensure_logo(self, spec):
        title = f"{spec['site_name']} logo"
        logo = Image.objects.filter(title=title).first()
        if logo is None:
            logo = Image(title=title, file=ImageFile(io.BytesIO(demo.logo_png(spec)), name=f"{spec['slug']}-logo.png"))
            logo.save()
        return logo

    def ensure_invoices(self, site, spec, admin):
        clients = [
            Client.objects.get_or_create(site=site, email=email, defaults={"name": name, "billing_address": address})[0]
            for name, email, address in spec["clients"]
        ]
        today = timezone.localdate()
        invoices = [
            *demo.INVOICES,
            *(
                (title, ACCOUNT_CLIENT_INDEX, lines, due_days, outcome)
                for title, lines, due_days, outcome in ACCOUNT_INVOICES
            ),
        ]
        for title, client_index, lines, due_days, outcome in invoices:
            if Invoice.objects.filter(site=site, title=title).exists():
                continue
            invoice = invoice_services.create_invoice(
                site=site,
                client=clients[client_index],
                title=title,
                lines=lines,
                due_date=demo.due_in(today, due_days),
                by=admin,
            )
            self.bring_to(invoice, outcome, admin)
        return clients[ACCOUNT_CLIENT_INDEX]

    def ensure_recurring(self, site):
        """Templates and schedules, made as an admin would (validated, then saved); the scheduler of
        ``make run`` creates their invoices, catching up the periods since each start."""
        clients = list(Client.objects.filter(site=site).order_by("id"))
        currency = BillingSettings.for_site(site).default_currency
        templates = {}
        for name, client_index, title, lines, terms in demo.TEMPLATES:
            template = InvoiceTemplate.objects.filter(site=site, name=name).first()
            if template is None:
                template = InvoiceTemplate(
                    site=site,
                    name=name,
                    client=None if client_index is None else clients[client_index],
                    title=title,
                    currency=currency,
                    payment_terms_days=terms,
                )
                template.lines = [InvoiceTemplateLine(**line) for line in lines]
                template.full_clean()
                template.save()
            templates[name] = template
        today = timezone.localdate()
        for name, template_name, client_index, months_ago, auto_charge in demo.SCHEDULES:
            if RecurringSchedule.objects.filter(site=site, name=name).exists():
                continue
            schedule = RecurringSchedule(
                site=site,
                name=name,
                template=templates[template_name],
                client=clients[client_index],
                interval=RecurringSchedule.Interval.MONTH,
                start_date=demo.months_before(today, months_ago),
                action=RecurringSchedule.Action.SEND,
                auto_charge=auto_charge,
            )
            schedule.full_clean()
            schedule.save()

    def bring_to(self, invoice, outcome, admin):
        if outcome == "draft":
            return
        invoice_services.issue_invoice(invoice, by=admin)
        if outcome == "partially_paid":
            payment_services.record_manual_payment(
                invoice,
                amount=(invoice.total / 2).quantize(Decimal("0.01")),
                reason="Bank transfer, first half",
                by=admin,
            )
        elif outcome == "paid":
            payment_services.record_manual_payment(invoice, reason="Bank transfer", by=admin)
        elif outcome == "overpaid":
            payment_services.record_manual_payment(
                invoice, amount=invoice.total + Decimal("100.00"), reason="Cheque, rounded up by the client", by=admin
            )
        elif outcome == "void":
            invoice_services.void_invoice(invoice, reason="Workshop cancelled by the client", by=admin)
        elif outcome == "uncollectible":
            invoice_services.mark_uncollectible(invoice, reason="Client unreachable for six months", by=admin)
