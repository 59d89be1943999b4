"""Tax: a website's catalogue of rates, chosen per line; a client's tax treatment and VAT id,
checked offline; and the tax per rate of many invoices, for the billing report.

A line names its catalogue rate (``line.tax``) and keeps its percentage (``line.tax_rate``), copied
here when the line is saved: an issued invoice never changes when the catalogue does. A website
without a catalogue keeps typed rates, so that nothing breaks before its rates are entered.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.exceptions import ValidationFailed
from ..core.lifecycle import InvoiceStatus
from ..core.money import round_money
from ..core.tax import TaxTreatment, normalise_vat_id
from ..models import CreditNoteLine, Invoice, InvoiceLine, InvoiceTemplateLine, TaxRate
from .invoice_totals import invoice_totals, tax_treatment_of
from .stats import origin_q

# A tax id that starts with two letters is read as a VAT id with its country prefix; others (a US
# EIN, say) are kept as typed.
VAT_ID_PREFIX = re.compile(r"^\s*[A-Za-z]{2}")


def active_rates(site):
    """The website's active rates, the default first: one query, for a whole invoice's lines."""
    return list(TaxRate.objects.for_site(site))


def default_rate(rates):
    return next((rate for rate in rates if rate.is_default), None)


def rate_matching(rates, percent):
    """The active rate at ``percent`` (the default one when several are), else ``None``."""
    if percent is None:
        return None
    percent = Decimal(percent)
    return next((rate for rate in rates if rate.rate == percent), None)


def describe_rates(rates):
    return ", ".join(str(rate) for rate in rates)


def resolve_line_tax(site, line, *, rates=None):
    """Give ``line`` (an invoice or template line, saved or not) its tax: the catalogue rate it
    names, which must be one of ``site``'s active rates, with that rate's percentage copied; else,
    where the website has a catalogue, the active rate at the typed percentage; else (no catalogue
    yet) the typed percentage as it is. ``rates``: ``active_rates(site)``, when the caller has them.
    Raises ``ValidationFailed`` naming the rates that can be chosen."""
    rates = active_rates(site) if rates is None else rates
    if line.tax_id is not None:
        chosen = next((rate for rate in rates if rate.pk == line.tax_id), None)
        if chosen is None:
            raise ValidationFailed(
                _("This tax rate is not an active rate of %(site)s; choose one of: %(rates)s.")
                % {"site": site_name(site), "rates": describe_rates(rates) or _("none, add one first")}
            )
        line.tax, line.tax_rate = chosen, chosen.rate
        return line
    if not rates:
        return line
    chosen = rate_matching(rates, line.tax_rate)
    if chosen is None:
        raise ValidationFailed(
            _("%(rate)s %% is not a rate of %(site)s's tax catalogue; choose one of: %(rates)s.")
            % {"rate": _percent(line.tax_rate), "site": site_name(site), "rates": describe_rates(rates)}
        )
    line.tax, line.tax_rate = chosen, chosen.rate
    return line


def resolve_lines_tax(site, lines):
    """``resolve_line_tax`` for each of ``lines``, with one query for the catalogue."""
    rates = active_rates(site)
    for line in lines:
        resolve_line_tax(site, line, rates=rates)
    return lines


def site_name(site):
    return site.site_name or site.hostname


def _percent(value):
    value = Decimal(value or 0)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


# -- what an invoice shows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceTaxSummary:
    """What the invoice page, the pay page and the API show of an invoice's tax: its totals (as
    ``invoice_totals`` computes and ``store_totals`` stored them), the rows per rate, whether prices
    include tax, and the treatment with its reason (the client's on a draft, the snapshot once
    issued)."""

    totals: object  # core.totals.Totals
    prices_include_tax: bool
    treatment: str
    exemption_reason: str

    @property
    def rows(self):
        return self.totals.by_rate

    @property
    def is_reverse_charge(self):
        return self.treatment == TaxTreatment.REVERSE_CHARGE

    @property
    def is_exempt(self):
        return self.treatment == TaxTreatment.EXEMPT


def invoice_tax_summary(invoice, lines=None):
    treatment = tax_treatment_of(invoice) or TaxTreatment.STANDARD
    reason = (
        invoice.client.tax_exemption_reason if invoice.status == InvoiceStatus.DRAFT else invoice.tax_exemption_reason
    )
    return InvoiceTaxSummary(
        totals=invoice_totals(invoice, lines),
        prices_include_tax=invoice.prices_include_tax,
        treatment=treatment,
        exemption_reason=reason,
    )


# -- clients -----------------------------------------------------------------------------------------


class ClientTaxInvalid(ValidationFailed):
    """A client's tax details that do not hold together; ``errors`` maps each field to its message."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(" ".join(errors.values()))


def clean_client_tax(*, tax_id, treatment, exemption_reason):
    """The client's tax id (a VAT id compacted, with its country prefix), treatment and exemption
    reason, checked together, offline: a tax id that starts with two letters must be a valid VAT id
    (format and check digits); reverse charge needs one; an exemption needs its reason. Raises
    ``ClientTaxInvalid``."""
    tax_id = (tax_id or "").strip()
    exemption_reason = (exemption_reason or "").strip()
    treatment = treatment or TaxTreatment.STANDARD
    errors = {}
    is_vat_id = bool(VAT_ID_PREFIX.match(tax_id))
    if is_vat_id:
        try:
            tax_id = normalise_vat_id(tax_id)
        except ValueError as exc:
            errors["tax_id"] = _("“%(tax_id)s” is not a valid VAT ID: %(reason)s") % {
                "tax_id": tax_id,
                "reason": str(exc).rstrip("."),
            }
    if treatment == TaxTreatment.REVERSE_CHARGE and not is_vat_id and "tax_id" not in errors:
        errors["tax_id"] = _("Reverse charge needs the client's VAT ID, with its country prefix (e.g. DE136695976).")
    if treatment == TaxTreatment.EXEMPT and not exemption_reason:
        errors["tax_exemption_reason"] = _("Give the reason for the exemption: it is printed on the client's invoices.")
    if errors:
        raise ClientTaxInvalid(errors)
    return tax_id, treatment, exemption_reason


# -- the billing report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateTotal:
    """Tax at one rate, in one currency, over the invoices issued in a period (or in one of its
    months: ``month``, its first day)."""

    currency: str
    rate: Decimal
    base: Decimal
    tax: Decimal
    invoice_count: int
    month: date | None = None


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def tax_by_rate(sites, *, start: date, end: date, origin=None, by_month=False, chunk_size=2000):
    """Per currency and rate (and month, ``by_month``), the taxable amounts and the tax of the
    invoices issued from ``start`` to ``end`` (local days, both included), except void ones: the
    invoices the report counts as invoiced. Each invoice's rows are its own tax summary
    (``invoice_totals``: its rounding rule, discount and treatment), so the figures add up to what
    the invoices say; exempt and reverse-charge invoices are at 0 %. Streamed in chunks of
    invoices, two queries each."""
    invoices = (
        Invoice.objects.filter(
            origin_q(origin),
            site__in=sites,
            issued_at__gte=_midnight(start),
            issued_at__lt=_midnight(end + timedelta(days=1)),
        )
        .exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
        .only(
            "currency",
            "status",
            "issued_at",
            "tax_treatment",
            "prices_include_tax",
            "tax_rounding",
            "discount_code",
            "discount_percent",
            "discount_total",
        )
        .prefetch_related("lines")
        .order_by("pk")
    )
    figures = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for invoice in invoices.iterator(chunk_size=chunk_size):
        month = timezone.localtime(invoice.issued_at).date().replace(day=1) if by_month else None
        for row in invoice_totals(invoice).by_rate:
            figure = figures[(month, invoice.currency, row.rate)]
            figure[0] += row.base
            figure[1] += row.tax
            figure[2] += 1
    return [
        RateTotal(currency, rate, round_money(base, currency), round_money(tax, currency), count, month)
        for (month, currency, rate), (base, tax, count) in sorted(figures.items(), key=_order)
    ]


def _order(item):
    (month, currency, rate), _figures = item
    return (month or date.min, currency, rate)


# -- the catalogue -------------------------------------------------------------------------------------


def save_tax_rate(rate):
    """Save a catalogue rate. A website has one default rate (the database holds it to that): a
    rate made the default takes over from the one before, in the same transaction. The default
    must be active, since new lines start with it."""
    if rate.is_default and not rate.active:
        raise ValidationFailed(_("An inactive rate cannot be the default: new lines start with the default."))
    with transaction.atomic():
        if rate.is_default:
            # Locked, so that two rates made the default at once end with one.
            previous = TaxRate.objects.select_for_update().filter(site_id=rate.site_id, is_default=True)
            previous.exclude(pk=rate.pk).update(is_default=False)
        rate.save()
    return rate


def lines_using(rate):
    """How many invoice, template and credit note lines name ``rate``: a rate in use is kept (made
    inactive), never deleted."""
    return sum(model.objects.filter(tax=rate).count() for model in (InvoiceLine, InvoiceTemplateLine, CreditNoteLine))
