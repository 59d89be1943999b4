"""Create (or bring up to date) the demo: two websites, their pages (pay page, billing account
page, branding), their roles' groups, clients and invoices in every state, an admin and one user per
role. Safe to run again: nothing is duplicated, and each run issues a fresh payment link per site,
because raw tokens are never stored, and fresh passwords unless the environment gives them."""

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
from invoicing.core.roles import Role
from invoicing.models import (
    BillingSettings,
    Client,
    CreditEntry,
    DiscountCode,
    Invoice,
    InvoiceTemplate,
    InvoiceTemplateLine,
    RecurringSchedule,
    TaxRate,
)
from invoicing.services import invoices as invoice_services
from invoicing.services import payments as payment_services
from invoicing.services.credit_notes import issue_credit_note
from invoicing.services.discounts import apply_discount_code
from invoicing.services.plans import set_plan
from invoicing.services.roles import ensure_roles
from invoicing.services.sites import account_url, set_up_site
from invoicing.services.tax import clean_client_tax, save_tax_rate
from invoicing.services.tokens import rotate_payment_link
from invoicing.services.wallet import add_credit

# The client per website to sign in as on the billing account page: the first of ``demo``'s, whose
# invoices there are a draft, an overdue one and a void one. These give them the other states a
# client sees (title, lines, days until due, what happens after creation).
ACCOUNT_CLIENT_INDEX = 0
ACCOUNT_INVOICES = [
    ("Search engine audit", demo.lines(("SEO audit", "1", "640.00", "19")), 21, "open"),
    ("Content migration", demo.lines(("Page migration", "40", "35.00", "19")), 25, "partially_paid"),
    ("Domain renewals", demo.lines(("Domain, one year", "4", "18.00", "19")), -5, "paid"),
]

# One staff user per role to sign in as, by website slug: "acme-clerk" is Acme's Billing clerk.
ROLE_USERS = {
    "acme": (Role.CLERK, Role.MANAGER, Role.MARKETING_EDITOR),
    "globex": (Role.MARKETING_EDITOR,),
}
USERNAME_SUFFIXES = {Role.CLERK: "clerk", Role.MANAGER: "manager", Role.MARKETING_EDITOR: "editor"}


def demo_password(variable):
    """The password the environment variable ``variable`` gives, else a fresh one per run."""
    return os.environ.get(variable) or secrets.token_urlsafe(12)


class Command(BaseCommand):
    help = "Create or refresh the demo websites, invoices, admin and one user per role, and print fresh pay links."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, port, **options):
        with transaction.atomic():
            admin, password = self.ensure_admin()
            self.ensure_wagtail_roots()
            self.remove_wagtail_welcome_site()
            websites, role_users = [], []
            for index, spec in enumerate(demo.SITES):
                site = self.ensure_site(spec, port=port, is_default=index == 0)
                role_users += self.ensure_role_users(site, spec)
                self.ensure_tax_and_codes(site, spec)
                account_client = self.ensure_invoices(site, spec, admin)
                self.ensure_money_features(site, spec, admin)
                self.ensure_recurring(site)
                invoice = Invoice.objects.get(site=site, title=demo.LINK_INVOICE_TITLE)
                websites.append((site, rotate_payment_link(invoice, by=admin), account_client))
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Admin:    http://localhost:{port}/admin/  (user: admin, password: {password})")
        for site, role, user, user_password in role_users:
            self.stdout.write(
                f"  {site.site_name}, {role.label}: http://localhost:{port}/admin/"
                f"  (user: {user.username}, password: {user_password})"
            )
        for site, link, account_client in websites:
            self.stdout.write(
                f"  {site.site_name}: {site.root_url}/  pay link: {link.url}"
                f"  account: {account_url(site)} (sign in as {account_client.email})"
            )

    def ensure_admin(self):
        user, _ = get_user_model().objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
        )
        password = demo_password("DEMO_ADMIN_PASSWORD")
        user.set_password(password)
        user.save()
        return user, password

    def ensure_role_users(self, site, spec):
        """The website's roles' groups (as ``invoicing_roles`` makes them), and a staff user in
        each of the demo's: only that group, so that each sees what its role grants and no more."""
        groups = {}
        for result in ensure_roles(site):
            for problem in result.problems:
                self.stderr.write(self.style.ERROR(problem))
            groups[result.site_role.role] = result.group
        users = []
        for role in ROLE_USERS.get(spec["slug"], ()):
            username = f"{spec['slug']}-{USERNAME_SUFFIXES[role]}"
            user, _ = get_user_model().objects.update_or_create(
                username=username,
                defaults={
                    "email": f"{username}@{site.hostname}",
                    "is_staff": True,
                    "is_superuser": False,
                    "is_active": True,
                },
            )
            password = demo_password("DEMO_USER_PASSWORD")
            user.set_password(password)
            user.save()
            user.groups.set([groups[role]])
            users.append((site, role, user, password))
        return users

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
        clients = [self.ensure_client(site, row) for row in spec["clients"]]
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

    def ensure_client(self, site, row):
        fields = demo.client_fields(row)
        return Client.objects.get_or_create(site=site, email=fields.pop("email"), defaults=fields)[0]

    def ensure_tax_and_codes(self, site, spec):
        """The website's tax catalogue and discount codes, and its clients' tax treatments (set
        before their invoices are issued, which keep the treatment they were issued with)."""
        for name, rate, inclusive, is_default in spec["tax_rates"]:
            if not TaxRate.objects.filter(site=site, name=name).exists():
                save_tax_rate(
                    TaxRate(site=site, name=name, rate=Decimal(rate), inclusive=inclusive, is_default=is_default)
                )
        for code, percent, amount, minimum, max_uses, per_client in spec["discount_codes"]:
            if not DiscountCode.objects.filter(site=site, code=code).exists():
                discount = DiscountCode(
                    site=site,
                    code=code,
                    kind=DiscountCode.Kind.PERCENT if percent else DiscountCode.Kind.FIXED,
                    percent=Decimal(percent) if percent else None,
                    amount=Decimal(amount) if amount else None,
                    currency="" if percent else spec["billing"]["default_currency"],
                    minimum_amount=Decimal(minimum),
                    max_redemptions=max_uses,
                    max_per_client=per_client,
                )
                discount.full_clean()
                discount.save()
        for index, (treatment, tax_id, reason) in spec["client_tax"].items():
            client = self.ensure_client(site, spec["clients"][index])
            client.tax_id, client.tax_treatment, client.tax_exemption_reason = clean_client_tax(
                tax_id=tax_id, treatment=treatment, exemption_reason=reason
            )
            client.save()

    def ensure_money_features(self, site, spec, admin):
        """A discount code on the draft, a payment plan with its first instalment paid, a credit
        note on a paid invoice and a prepayment on a client's wallet."""
        invoices = Invoice.objects.filter(site=site)
        draft = invoices.get(title=demo.DISCOUNT_DRAFT_TITLE)
        if draft.discount_code_id is None:
            apply_discount_code(draft, spec["discount_codes"][0][0], by=admin)
        planned = invoices.get(title=demo.PLAN_INVOICE_TITLE)
        if not planned.instalments.exists():
            set_plan(planned, count=3, first_due=timezone.localdate(), by=admin)
            payment_services.record_manual_payment(
                planned, amount=planned.instalments.first().amount, reason="First instalment, by transfer", by=admin
            )
        credited = invoices.get(title=demo.CREDITED_INVOICE_TITLE)
        if not credited.credit_notes.exists():
            first_line = credited.lines.first()
            issue_credit_note(
                credited,
                lines=[(first_line, first_line.quantity / 2)],
                reason="One of the two consulting days was not used",
                by=admin,
            )
        client = Client.objects.filter(site=site).order_by("id")[1]
        if not CreditEntry.objects.filter(client=client, kind=CreditEntry.Kind.ADDED).exists():
            add_credit(
                client,
                amount=Decimal(200),
                currency=spec["billing"]["default_currency"],
                reason="Prepayment received by bank transfer",
                by=admin,
            )

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
