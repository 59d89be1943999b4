"""Discount codes on drafts: apply one (checked, and counted race-free under the code's row lock),
replace it, or remove it. An issued invoice is never re-totalled: a discount after issue is a
credit note."""

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..core.exceptions import InvalidTransition, ValidationFailed
from ..core.lifecycle import InvoiceStatus
from ..core.money import format_money, round_money
from ..mail.compose import percent_text
from ..models import DiscountCode, InvoiceEvent
from .events import record_event
from .invoice_totals import invoice_totals
from .invoices import describe, save_draft
from .locking import lock_invoice
from .redemptions import ensure_code_fits, lock_codes, release_use, take_use


def _ensure_draft(invoice):
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvalidTransition(
            _(
                "Invoice %(invoice)s is %(status)s: its totals no longer change. "
                "To give a discount now, issue a credit note against it."
            )
            % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
        )


def discount_label(code):
    if code.kind == DiscountCode.Kind.PERCENT:
        return _("Discount %(code)s (%(percent)s %%)") % {"code": code.code, "percent": percent_text(code.percent)}
    return _("Discount %(code)s (−%(amount)s)") % {
        "code": code.code,
        "amount": format_money(code.amount, code.currency),
    }


def find_code(invoice, code_text):
    """The invoice's website's code of that name, whatever its case; another website's is unknown."""
    text = (code_text or "").strip()
    if not text:
        raise ValidationFailed(_("Enter a discount code."))
    code = DiscountCode.objects.filter(site_id=invoice.site_id, code__iexact=text).first()
    if code is None:
        raise ValidationFailed(_("“%(code)s” is not a discount code of this website.") % {"code": text[:40]})
    return code


def _ensure_usable(code, today):
    if not code.active:
        raise ValidationFailed(_("The discount code %(code)s is not active.") % {"code": code.code})
    if code.valid_from and today < code.valid_from:
        raise ValidationFailed(
            _("The discount code %(code)s is valid from %(date)s.")
            % {"code": code.code, "date": date_format(code.valid_from)}
        )
    if code.valid_until and today > code.valid_until:
        raise ValidationFailed(
            _("The discount code %(code)s expired on %(date)s.")
            % {"code": code.code, "date": date_format(code.valid_until)}
        )


def apply_discount_code(invoice, code_text, *, by=None):
    """Apply the website's code ``code_text`` to the draft ``invoice``, in place of any code it
    had (whose use is given back), and recompute its totals."""
    with transaction.atomic():
        lock_invoice(invoice)
        _ensure_draft(invoice)
        code = find_code(invoice, code_text)
        if code.pk == invoice.discount_code_id:
            return invoice
        # Both codes' rows, in a fixed order: the new one's count and the old one's release.
        code = lock_codes(code.pk, invoice.discount_code_id)[code.pk]
        _ensure_usable(code, timezone.localdate())
        ensure_code_fits(code, invoice, invoice_totals(invoice).lines_total)
        replaced = release_use(invoice)
        take_use(code, invoice, by=by)
        invoice.discount_code = code
        invoice.discount_label = discount_label(code)
        if code.kind == DiscountCode.Kind.PERCENT:
            invoice.discount_percent, invoice.discount_total = code.percent, round_money(0, invoice.currency)
        else:
            invoice.discount_percent = None
            invoice.discount_total = round_money(code.amount, invoice.currency)
        save_draft(invoice, by=by)
        record_event(
            invoice,
            InvoiceEvent.Kind.DISCOUNT_APPLIED,
            by=by,
            code=code.code,
            label=invoice.discount_label,
            amount=invoice.discount_total,
            **({"replaced": replaced.code} if replaced else {}),
        )
    return invoice


def remove_discount_code(invoice, *, by=None):
    """Take the code off the draft ``invoice``; its use is given back to the code."""
    with transaction.atomic():
        lock_invoice(invoice)
        _ensure_draft(invoice)
        if invoice.discount_code_id is None:
            raise ValidationFailed(
                _("Invoice %(invoice)s has no discount code to remove.") % {"invoice": describe(invoice)}
            )
        code = release_use(invoice) or invoice.discount_code
        invoice.discount_code = None
        invoice.discount_label = ""
        invoice.discount_percent = None
        invoice.discount_total = round_money(0, invoice.currency)
        save_draft(invoice, by=by)
        record_event(invoice, InvoiceEvent.Kind.DISCOUNT_REMOVED, by=by, code=code.code)
    return invoice
