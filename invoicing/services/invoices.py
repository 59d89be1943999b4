"""The invoice lifecycle: drafts, issuing, voiding and writing off."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core import signals
from ..core.exceptions import InvalidTransition, ValidationFailed
from ..core.lifecycle import InvoiceStatus, can_transition
from ..core.money import SUPPORTED_CURRENCIES
from ..models import BillingSettings, Invoice, InvoiceEvent, InvoiceLine, PaymentLink, TaxRate
from .events import record_event
from .intents import cancel_live_intents
from .invoice_totals import store_totals
from .locking import lock_invoice
from .numbering import assign_number
from .redemptions import ensure_code_fits, release_use
from .tax import resolve_lines_tax
from .tokens import end_payment_link, open_new_link

DRAFT_FIELDS = frozenset(
    {
        "client",
        "title",
        "description",
        "buyer_reference",
        "currency",
        "due_date",
        "allow_partial_payments",
        "site",
        "prices_include_tax",
        "early_discount_percent",
        "early_discount_days",
    }
)


def describe(invoice):
    return invoice.number or _("Draft “%(title)s”") % {"title": invoice.title}


def ensure_transition(invoice, target):
    """Raise ``InvalidTransition`` unless the lifecycle table allows ``invoice`` to move to ``target``."""
    if not can_transition(invoice.status, target):
        raise InvalidTransition(
            _("Invoice %(invoice)s is %(status)s and cannot become %(target)s.")
            % {
                "invoice": describe(invoice),
                "status": invoice.get_status_display().lower(),
                "target": InvoiceStatus(target).label.lower(),
            }
        )


def transition(invoice, target):
    ensure_transition(invoice, target)
    invoice.status = target


def send_after_commit(signal, **kwargs):
    transaction.on_commit(lambda: signal.send(sender=Invoice, **kwargs))


def save_draft(invoice, *, by=None):
    """Validate and save a new or edited draft (with its lines, saved or not), totals computed here."""
    is_new = invoice.pk is None
    with transaction.atomic():
        if not is_new:
            stored = Invoice.objects.select_for_update().get(pk=invoice.pk)
            if stored.status != InvoiceStatus.DRAFT:
                raise InvalidTransition(
                    _("Invoice %(invoice)s is %(status)s and can no longer be edited.")
                    % {"invoice": describe(stored), "status": stored.get_status_display().lower()}
                )
        if invoice.client.site_id != invoice.site_id:
            raise ValidationFailed(
                _("The client %(client)s belongs to another website.") % {"client": invoice.client.name}
            )
        if invoice.currency not in SUPPORTED_CURRENCIES:
            raise ValidationFailed(_("%(currency)s is not a supported currency.") % {"currency": invoice.currency})
        if invoice.due_date is None:
            invoice.due_date = timezone.localdate() + BillingSettings.for_site(invoice.site).payment_terms
        invoice.collect_by = invoice.due_date
        invoice.tax_rounding = BillingSettings.for_site(invoice.site).tax_rounding
        # Whoever made the lines (the admin, the API, a recurring run), their rates are the catalogue's.
        invoice.lines = resolve_lines_tax(invoice.site, list(invoice.lines.all()))
        store_totals(invoice)
        invoice.save()
        record_event(invoice, InvoiceEvent.Kind.CREATED if is_new else InvoiceEvent.Kind.UPDATED, by=by)
    return invoice


def create_invoice(*, site, client, title, lines, currency=None, due_date=None, by=None, **fields):
    """Create a draft. ``lines`` are dicts of description, quantity, unit_price and tax_rate."""
    unknown = set(fields) - DRAFT_FIELDS
    if unknown:
        raise ValidationFailed(_("Unknown invoice fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    billing = BillingSettings.for_site(site)
    invoice = Invoice(
        site=site,
        client=client,
        title=title,
        currency=currency or billing.default_currency,
        due_date=due_date,
        **{**new_draft_terms(billing), **fields},
    )
    invoice.lines = [InvoiceLine(**line) for line in lines]
    return save_draft(invoice, by=by)


def new_draft_terms(billing):
    """What a new draft starts with from its website's settings: the early-payment discount terms,
    and prices with tax included where the default tax rate says so."""
    default_rate = TaxRate.objects.for_site(billing.site).filter(is_default=True).first()
    return {
        "early_discount_percent": billing.early_discount_percent,
        "early_discount_days": billing.early_discount_days,
        "prices_include_tax": bool(default_rate and default_rate.inclusive),
    }


def update_draft(invoice, *, by=None, lines=None, **fields):
    unknown = set(fields) - DRAFT_FIELDS
    if unknown:
        raise ValidationFailed(_("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(invoice, name, value)
    if lines is not None:
        invoice.lines = [InvoiceLine(**line) for line in lines]
    return save_draft(invoice, by=by)


def delete_draft(invoice):
    """Only a draft can be deleted: an issued invoice keeps its number and its history (void it)."""
    with transaction.atomic():
        lock_invoice(invoice)
        if invoice.status != InvoiceStatus.DRAFT:
            raise InvalidTransition(
                _("Invoice %(invoice)s is %(status)s and cannot be deleted: only drafts can. Void it instead.")
                % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
            )
        release_use(invoice)  # the discount code's use goes back to the code
        invoice.delete()


def issue_invoice(invoice, *, by=None):
    """Draft → open: snapshot the client, assign the number, and issue the payment link."""
    with transaction.atomic():
        lock_invoice(invoice)
        ensure_transition(invoice, InvoiceStatus.OPEN)
        if not invoice.lines.exists():
            raise ValidationFailed(
                _("Add at least one line before issuing %(invoice)s.") % {"invoice": describe(invoice)}
            )
        if invoice.total <= 0:
            raise ValidationFailed(
                _("The total of %(invoice)s must be more than zero.") % {"invoice": describe(invoice)}
            )
        transition(invoice, InvoiceStatus.OPEN)
        client = invoice.client
        invoice.billing_name, invoice.billing_email = client.name, client.email
        invoice.billing_address, invoice.billing_tax_id = client.billing_address, client.tax_id
        invoice.billing_postal_code, invoice.billing_city = client.postal_code, client.city
        invoice.billing_country, invoice.billing_electronic_address = client.country, client.electronic_address
        invoice.buyer_reference = invoice.buyer_reference or client.buyer_reference
        invoice.tax_treatment, invoice.tax_exemption_reason = client.tax_treatment, client.tax_exemption_reason
        if invoice.early_discount_percent and invoice.early_discount_days:
            invoice.early_discount_until = timezone.localdate() + timedelta(days=invoice.early_discount_days)
        totals = store_totals(invoice)
        if invoice.discount_code_id is not None:
            # Its lines or currency may have changed since the code was applied.
            ensure_code_fits(invoice.discount_code, invoice, totals.lines_total)
        invoice.number = assign_number(invoice)
        invoice.issued_at = timezone.now()
        invoice.issued_by = by
        invoice.save()
        record_event(invoice, InvoiceEvent.Kind.ISSUED, by=by, number=invoice.number, total=invoice.total)
        link = open_new_link(invoice, by=by)
        send_after_commit(signals.invoice_issued, invoice=invoice, by=by)
    return link


def void_invoice(invoice, *, reason, by=None):
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason for voiding the invoice."))
    with transaction.atomic():
        lock_invoice(invoice)
        ensure_transition(invoice, InvoiceStatus.VOID)
        if invoice.amount_paid > 0:
            raise InvalidTransition(
                _("Invoice %(invoice)s has received %(paid)s %(currency)s; refund the payments before voiding it.")
                % {"invoice": describe(invoice), "paid": invoice.amount_paid, "currency": invoice.currency}
            )
        cancel_live_intents(invoice)
        transition(invoice, InvoiceStatus.VOID)
        invoice.closed_at = timezone.now()
        invoice.close_reason = reason.strip()
        invoice.save()
        end_payment_link(invoice, by=by, reason=PaymentLink.EndReason.VOIDED)
        record_event(invoice, InvoiceEvent.Kind.VOIDED, by=by, reason=invoice.close_reason)
        send_after_commit(signals.invoice_voided, invoice=invoice, by=by)
    return invoice


def mark_uncollectible(invoice, *, reason="", by=None):
    with transaction.atomic():
        lock_invoice(invoice)
        ensure_transition(invoice, InvoiceStatus.UNCOLLECTIBLE)
        cancel_live_intents(invoice)
        transition(invoice, InvoiceStatus.UNCOLLECTIBLE)
        invoice.closed_at = timezone.now()
        invoice.close_reason = (reason or "").strip()
        invoice.save()
        record_event(invoice, InvoiceEvent.Kind.UNCOLLECTIBLE, by=by, reason=invoice.close_reason)
    return invoice
