"""Payment plans: an open invoice's total split into instalments, each with its due date.

The instalments add up to the invoice's total, exactly, at the currency's exponent. What is paid of
each is never stored: the money the invoice has received or been credited settles them earliest
first (``amounts_due.instalment_states``). The payment link stays bound to the balance, which a plan
does not change, so setting or removing one needs no new link; ``collect_by`` (what "overdue",
aging and reminders read) moves to the first open instalment's date.

A client may choose a plan on the pay page where the website offers them (``choose_plan``): the
first instalment is due the day the client chooses (and is what the pay page then asks for), the
others on the same day of the following months.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core import instalments as arithmetic
from ..core.exceptions import InvalidTransition, ValidationFailed
from ..core.lifecycle import InvoiceStatus
from ..core.money import MoneyError, exponent, format_money, round_money, to_decimal
from ..models import BillingSettings, Instalment, InvoiceEvent
from ..settings import MAX_INSTALMENTS
from .amounts_due import next_collect_by
from .events import record_event
from .invoices import describe
from .locking import lock_invoice
from .tokens import extend_link_to_plan

MIN_INSTALMENTS = 2


@dataclass(frozen=True)
class PlanOffer:
    """A plan the pay page offers: ``count`` monthly instalments, as (due date, amount)."""

    count: int
    instalments: tuple


def _money(amount, invoice):
    return format_money(amount, invoice.currency, BillingSettings.for_site(invoice.site).locale)


def equal_plan(invoice, count, first_due):
    """``count`` equal monthly instalments of the total from ``first_due``, the remainder on the last."""
    _check_count(count)
    amounts = arithmetic.equal_amounts(invoice.total, count, invoice.currency)
    return list(zip(arithmetic.monthly_dates(first_due, count), amounts, strict=True))


def _check_count(count):
    if not isinstance(count, int) or not MIN_INSTALMENTS <= count <= MAX_INSTALMENTS:
        raise ValidationFailed(
            _("A payment plan has from %(min)s to %(max)s instalments.")
            % {"min": MIN_INSTALMENTS, "max": MAX_INSTALMENTS}
        )


def _check_plannable(invoice):
    if invoice.status != InvoiceStatus.OPEN:
        raise InvalidTransition(
            _("Invoice %(invoice)s is %(status)s: only an open invoice can have a payment plan.")
            % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
        )
    if invoice.amount_due <= 0:
        raise InvalidTransition(_("Nothing is due on invoice %(invoice)s.") % {"invoice": describe(invoice)})


def _clean_schedule(invoice, instalments):
    """``instalments``: (due date, amount) pairs. Returns them as (date, Decimal), or raises
    ``ValidationFailed`` with the first problem, for people."""
    rows = list(instalments)
    _check_count(len(rows))
    currency = invoice.currency
    cleaned = []
    for number, (due_date, amount) in enumerate(rows, start=1):
        if not isinstance(due_date, date):
            raise ValidationFailed(_("Instalment %(number)s needs a due date.") % {"number": number})
        try:
            amount = to_decimal(amount)
        except MoneyError as exc:
            raise ValidationFailed(
                _("Instalment %(number)s: enter an amount such as 25.00.") % {"number": number}
            ) from exc
        if amount <= 0:
            raise ValidationFailed(_("Instalment %(number)s must be more than zero.") % {"number": number})
        if round_money(amount, currency) != amount:
            raise ValidationFailed(
                _("Instalment %(number)s: %(currency)s amounts have at most %(places)s decimal places.")
                % {"number": number, "currency": currency, "places": exponent(currency)}
            )
        if cleaned and due_date <= cleaned[-1][0]:
            raise ValidationFailed(
                _("Instalment %(number)s must be due after instalment %(previous)s.")
                % {"number": number, "previous": number - 1}
            )
        cleaned.append((due_date, round_money(amount, currency)))
    total = sum((amount for _date, amount in cleaned), Decimal(0))
    if total != invoice.total:
        raise ValidationFailed(
            _("The instalments add up to %(sum)s, but the invoice's total is %(total)s.")
            % {"sum": _money(total, invoice), "total": _money(invoice.total, invoice)}
        )
    return cleaned


def _schedule_data(rows):
    return [{"due_date": due_date.isoformat(), "amount": str(amount)} for due_date, amount in rows]


def set_plan(invoice, *, instalments=None, count=None, first_due=None, by=None):
    """Give open ``invoice`` a payment plan, replacing any it has: either ``instalments``, a list of
    (due date, amount), or ``count`` equal monthly instalments from ``first_due``. They must add up
    to the invoice's total; money already received pays the earliest ones first."""
    if (instalments is None) == (count is None):
        raise ValidationFailed(_("Give either the instalments or their number."))
    with transaction.atomic():
        lock_invoice(invoice)
        _check_plannable(invoice)
        if count is not None:
            if not isinstance(first_due, date):
                raise ValidationFailed(_("Give the first instalment's due date."))
            instalments = equal_plan(invoice, count, first_due)
        rows = _clean_schedule(invoice, instalments)
        replaced = invoice.instalments.exists()
        invoice.instalments.all().delete()
        Instalment.objects.bulk_create(
            Instalment(invoice=invoice, sequence=sequence, due_date=due_date, amount=amount, currency=invoice.currency)
            for sequence, (due_date, amount) in enumerate(rows, start=1)
        )
        invoice.collect_by = next_collect_by(invoice)
        invoice.save(update_fields=["collect_by", "updated_at"])
        extend_link_to_plan(invoice)
        record_event(invoice, InvoiceEvent.Kind.PLAN_SET, by=by, replaced=replaced, instalments=_schedule_data(rows))
    return invoice


def remove_plan(invoice, *, by=None):
    """The invoice is due in one go again, on its due date."""
    with transaction.atomic():
        lock_invoice(invoice)
        if invoice.status != InvoiceStatus.OPEN:
            raise InvalidTransition(
                _("Invoice %(invoice)s is %(status)s: its payment plan can no longer change.")
                % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
            )
        rows = [(i.due_date, i.amount) for i in invoice.instalments.all()]
        if not rows:
            raise InvalidTransition(_("Invoice %(invoice)s has no payment plan.") % {"invoice": describe(invoice)})
        invoice.instalments.all().delete()
        invoice.collect_by = next_collect_by(invoice)
        invoice.save(update_fields=["collect_by", "updated_at"])
        record_event(invoice, InvoiceEvent.Kind.PLAN_REMOVED, by=by, instalments=_schedule_data(rows))
    return invoice


def plan_offers(invoice, *, billing=None, today=None):
    """The plans the client may choose on the pay page now: none unless the website offers plans,
    the invoice is open with nothing paid yet and no plan, and its balance reaches the minimum."""
    billing = billing or BillingSettings.for_site(invoice.site)
    if not _may_choose(invoice, billing):
        return []
    today = today or timezone.localdate()
    return [PlanOffer(count, tuple(equal_plan(invoice, count, today))) for count in billing.instalment_options]


def _may_choose(invoice, billing):
    return (
        billing.plans_enabled
        and invoice.status == InvoiceStatus.OPEN
        and invoice.amount_paid == 0
        and invoice.amount_due == invoice.total
        and invoice.amount_due > 0
        and invoice.amount_due >= round_money(billing.plan_minimum_amount, invoice.currency)
        and not invoice.instalments.exists()
    )


def choose_plan(invoice, count):
    """The client's choice on the pay page: ``count`` equal monthly instalments, the first due
    today (so the pay page asks for it at once), as the website offers them."""
    with transaction.atomic():
        lock_invoice(invoice)
        billing = BillingSettings.for_site(invoice.site)
        if not _may_choose(invoice, billing):
            raise InvalidTransition(_("A payment plan is not available for this invoice."))
        if count not in billing.instalment_options:
            raise ValidationFailed(_("Choose one of the payment plans offered."))
        return set_plan(invoice, count=count, first_due=timezone.localdate())
