"""The actions on one invoice, declared once: what each is called, the invoice permission it needs,
in which states it applies, and the service it runs. The admin's buttons and confirm views, its
bulk actions and the API all derive from this table."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..core.lifecycle import COLLECTIBLE_STATES, InvoiceStatus
from ..mail.kinds import EmailKind
from .credit_notes import can_be_credited, issue_credit_note
from .discounts import apply_discount_code, remove_discount_code
from .documents import invoice_pdf
from .invoices import issue_invoice, mark_uncollectible, void_invoice
from .outbox import issue_and_send_invoice, send_invoice_email
from .payments import record_manual_payment
from .plans import set_plan
from .reminders import pause_reminders, resume_reminders
from .tokens import revoke_payment_link, rotate_payment_link


@dataclass(frozen=True)
class InvoiceAction:
    name: str
    label: Promise
    permission: str  # the invoice permission action it needs ("view", "change", "void", …), on its website
    applies_to: Callable  # (invoice) -> bool, for offering it; the service checks again
    run: Callable  # (invoice, *, by, **params): the service call


def send_email(invoice, *, by, kind=EmailKind.INVOICE, link=None):
    """A draft is issued and sent; otherwise the email of ``kind`` (with ``link``, or a fresh one)."""
    if invoice.status == InvoiceStatus.DRAFT:
        return issue_and_send_invoice(invoice, by=by)
    return send_invoice_email(invoice, kind, link=link, by=by)


def _collectible(invoice):
    return invoice.status in COLLECTIBLE_STATES


ACTIONS = {
    action.name: action
    for action in [
        InvoiceAction(
            "issue",
            _("Issue"),
            "change",
            applies_to=lambda invoice: invoice.status == InvoiceStatus.DRAFT,
            run=lambda invoice, *, by: issue_invoice(invoice, by=by),
        ),
        InvoiceAction(
            "apply_discount",
            _("Apply discount code"),
            "change",
            applies_to=lambda invoice: invoice.status == InvoiceStatus.DRAFT,
            run=lambda invoice, *, by, code: apply_discount_code(invoice, code, by=by),
        ),
        InvoiceAction(
            "remove_discount",
            _("Remove discount code"),
            "change",
            applies_to=lambda invoice: invoice.status == InvoiceStatus.DRAFT and invoice.discount_code_id is not None,
            run=remove_discount_code,
        ),
        InvoiceAction(
            "send_email",
            _("Send by email"),
            "change",
            applies_to=lambda invoice: invoice.status != InvoiceStatus.VOID,
            run=send_email,
        ),
        InvoiceAction(
            "mark_paid",
            _("Mark paid"),
            "change",
            applies_to=lambda invoice: _collectible(invoice) and invoice.amount_due > 0,
            run=record_manual_payment,
        ),
        InvoiceAction(
            "rotate_link",
            _("New payment link"),
            "change",
            applies_to=_collectible,
            run=rotate_payment_link,
        ),
        InvoiceAction(
            "revoke_link",
            _("Revoke payment link"),
            "change",
            applies_to=lambda invoice: _collectible(invoice) and invoice.payment_link_id is not None,
            run=revoke_payment_link,
        ),
        InvoiceAction(
            "mark_uncollectible",
            _("Mark uncollectible"),
            "write_off",
            applies_to=lambda invoice: invoice.status == InvoiceStatus.OPEN,
            run=mark_uncollectible,
        ),
        InvoiceAction(
            "pause_reminders",
            _("Pause reminders"),
            "change",
            applies_to=lambda invoice: invoice.status == InvoiceStatus.OPEN and not invoice.reminders_paused,
            run=pause_reminders,
        ),
        InvoiceAction(
            "resume_reminders",
            _("Resume reminders"),
            "change",
            applies_to=lambda invoice: invoice.reminders_paused,
            run=resume_reminders,
        ),
        InvoiceAction(
            "void",
            _("Void"),
            "void",
            applies_to=lambda invoice: _collectible(invoice) and invoice.amount_paid == 0,
            run=void_invoice,
        ),
        InvoiceAction(
            "set_plan",
            _("Set payment plan"),
            "change",
            applies_to=lambda invoice: invoice.status == InvoiceStatus.OPEN and invoice.amount_due > 0,
            run=set_plan,
        ),
        InvoiceAction(
            "credit_note",
            _("Issue credit note"),
            "credit",
            applies_to=can_be_credited,
            run=issue_credit_note,
        ),
        InvoiceAction(
            "pdf",
            _("Download PDF"),
            "view",
            applies_to=lambda invoice: True,
            run=lambda invoice, *, by: invoice_pdf(invoice),
        ),
    ]
}
