"""A sample invoice for a site, for the template page's preview. Built from unsaved objects, so
that previewing writes nothing."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.money import round_money
from ..mail.compose import compose_email
from ..mail.kinds import EmailKind
from ..settings import BillingSettings
from .clients import Client
from .invoices import Invoice
from .payments import Payment, PaymentMethod

SAMPLE_TOKEN = "INV-SAMPLE-" + "x" * 43


def sample_invoice(site, billing, *, paid):
    currency = billing.default_currency
    total = round_money(Decimal("1250.00"), currency)
    client = Client(site=site, name="Jane Example", email="jane@example.com")
    return Invoice(
        site=site,
        client=client,
        number="-".join(filter(None, [billing.number_prefix, "SAMPLE"])),
        title="Website maintenance, March",
        description="Monthly care plan: updates, backups and two hours of support.",
        currency=currency,
        billing_name=client.name,
        billing_email=client.email,
        total=total,
        amount_paid=total if paid else Decimal(0),
        due_date=timezone.localdate() + billing.payment_terms,
        issued_at=timezone.now() - timedelta(days=1),
    )


def preview_email(template, kind, *, site, step=None):
    # Not BillingSettings.for_site(), which creates the row when it is missing.
    billing = BillingSettings.objects.filter(site=site).first() or BillingSettings(site=site)
    paid = kind == EmailKind.RECEIPT
    invoice = sample_invoice(site, billing, paid=paid)
    payment = Payment(invoice=invoice, method=PaymentMethod.STRIPE, amount=invoice.total, currency=invoice.currency)
    return compose_email(
        template,
        kind,
        invoice,
        locale=billing.locale,
        pay_url=f"{site.root_url}/pay/invoice/{SAMPLE_TOKEN}/",
        payment=payment if paid else None,
        logo_url=template.logo_url(site, create=False),
        failure_reason=_("Your card was declined."),
        step=step,
    )
