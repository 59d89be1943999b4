"""Billing statistics for a set of websites: the dashboard panel, the billing report and the API.

Read-only, and computed by the database: a handful of aggregate queries whatever the number of
invoices. Figures are per currency and never summed across currencies; amounts are ``Decimal``
rounded to the currency's exponent. Callers pass the websites the user may see
(``billing_sites(user)``), so that no figure ever includes another website's invoices.

Flows over a period (``start`` and ``end`` are local days, both included):

- *Invoices* (``invoice_count``): invoices issued in the period, whatever became of them, except
  void ones. Drafts were never issued and void invoices were cancelled, so neither was invoiced;
  an uncollectible (written-off) invoice was invoiced, as in Stripe Invoicing and Odoo.
  ``paid_count``, ``unpaid_count`` (still open) and ``uncollectible_count`` split them by status.
- *Invoiced*: the sum of those invoices' totals.
- *Collected*: money received in the period, less money refunded in the period (cash basis):
  succeeded card and manual payments by the day they were received, less the refunds of such
  payments by the day they were made. Money that went to the client's credit counts, because it
  was received. Payments with account credit are not collected money: that money was collected
  when it first arrived, and a refunded credit payment goes back to the wallet, not to the client.
  Processing and failed payments count nowhere.
- *By method*: per payment method, the number and sum of succeeded payments received in the
  period and the sum refunded in the period (credit included, so that the split is complete).
- *Average days to pay*: over invoices paid in the period, the mean time from issue to full
  payment, in days to one decimal (``None`` when none was paid).

*Origin*: every figure can be narrowed to recurring invoices (made by a recurring schedule) or to
one-off ones (made by hand, from a template or not), payments and refunds following their invoice.

Balances as of a day (``as_of``, today by default), for all the open invoices of the websites, as
they stand now (``as_of`` sets the day from which days past due are counted):

- *Outstanding*: what open invoices still owe (total less amount paid). Uncollectible invoices were
  written off and are not outstanding; paid and void ones owe nothing.
- *Overdue*: the open invoices with money due before ``as_of``, their number and what they owe.
- *Aging*: the outstanding amount (and number of invoices) by days past due: not yet due
  (``current``, due on ``as_of`` or later), 1–30, 31–60, 61–90 and more than 90 days.

"Due" is the invoice's ``collect_by``: under a payment plan, the date of its earliest instalment not
yet paid; otherwise its due date. An invoice with an instalment past its date is overdue, and its
whole balance is aged from that instalment's date (as Stripe and Odoo age an invoice by its oldest
open due date), even when its final due date is still ahead.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Case, Count, DateField, DecimalField, F, Func, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..core.lifecycle import InvoiceStatus
from ..core.money import round_money
from ..models import Invoice, Payment, PaymentMethod, Refund
from ..models.invoices import AMOUNT_DUE

# Money that arrives from outside: credit payments spend money collected before.
CASH_METHODS = frozenset({PaymentMethod.STRIPE, PaymentMethod.MANUAL})

RECURRING, ONE_OFF = "recurring", "one_off"
ORIGIN_CHOICES = ((RECURRING, _("Recurring")), (ONE_OFF, _("One-off")))

# (key, label, first and last day past due; None means no bound).
AGING_BUCKETS = (
    ("current", _("Not yet due"), None, 0),
    ("1_30", _("1–30 days"), 1, 30),
    ("31_60", _("31–60 days"), 31, 60),
    ("61_90", _("61–90 days"), 61, 90),
    ("over_90", _("Over 90 days"), 91, None),
)


@dataclass(frozen=True)
class MethodStats:
    method: str
    label: str
    count: int
    amount: Decimal
    refunded: Decimal


@dataclass(frozen=True)
class AgingBucket:
    key: str
    label: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class CurrencyStats:
    """The figures of one currency; see the module's docstring for what each one counts."""

    currency: str
    invoice_count: int
    paid_count: int
    unpaid_count: int
    uncollectible_count: int
    invoiced: Decimal
    collected: Decimal
    average_days_to_pay: Decimal | None
    by_method: dict[str, MethodStats]
    outstanding: Decimal
    overdue_count: int
    overdue_amount: Decimal
    aging: tuple[AgingBucket, ...]


@dataclass(frozen=True)
class MonthStats:
    """One row of the by-month series: the period figures of one month and currency, and what that
    month's invoices still owe (``outstanding``, open invoices as they stand now)."""

    month: date
    currency: str
    invoice_count: int
    paid_count: int
    unpaid_count: int
    uncollectible_count: int
    invoiced: Decimal
    outstanding: Decimal
    collected: Decimal
    average_days_to_pay: Decimal | None
    by_method: dict[str, MethodStats]


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of ``day``'s month, or of the month ``months_back`` months before it."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def trailing_months(count: int, today: date | None = None) -> tuple[date, date]:
    """The period of the last ``count`` calendar months, this one included, up to today."""
    today = today or timezone.localdate()
    return month_start(today, count - 1), today


def origin_q(origin: str | None, path: str = "") -> Q:
    """Invoices (through ``path``, such as ``"invoice__"``) of that origin: ``RECURRING``,
    ``ONE_OFF``, or ``None`` for all of them."""
    if origin is None:
        return Q()
    return Q(**{f"{path}schedule__isnull": origin == ONE_OFF})


def invoice_stats(
    sites, *, start: date, end: date, as_of: date | None = None, origin: str | None = None
) -> list[CurrencyStats]:
    """The figures of ``sites`` (a Site queryset or list) per currency, sorted by currency code;
    of the invoices of ``origin`` only when given (``RECURRING`` or ``ONE_OFF``)."""
    as_of = as_of or timezone.localdate()
    period = _Period(start, end)
    invoices = _invoice_figures(sites, period, as_of, origin)
    methods = _method_rows(sites, period, origin)
    currencies = sorted(set(invoices) | {currency for currency, _method in methods})
    return [_currency_stats(currency, invoices.get(currency, {}), methods) for currency in currencies]


def monthly_stats(sites, *, start: date, end: date, origin: str | None = None) -> list[MonthStats]:
    """The by-month series of ``sites`` over the period, a row per month and currency with any
    activity, sorted by month, then currency; of the invoices of ``origin`` only when given."""
    period = _Period(start, end)
    rows = defaultdict(dict)
    issued = _invoices(sites, origin).filter(period.q("issued_at"))
    for row in _by_month(issued, period, "issued_at").annotate(
        invoice_count=Count("pk"),
        paid_count=Count("pk", filter=Q(status=InvoiceStatus.PAID)),
        unpaid_count=Count("pk", filter=Q(status=InvoiceStatus.OPEN)),
        uncollectible_count=Count("pk", filter=Q(status=InvoiceStatus.UNCOLLECTIBLE)),
        invoiced=Sum("total"),
        outstanding=Sum(AMOUNT_DUE, filter=Q(status=InvoiceStatus.OPEN)),
    ):
        rows[row.pop("month"), row.pop("currency")].update(row)
    paid = _invoices(sites, origin).filter(period.q("paid_at"), status=InvoiceStatus.PAID)
    for row in _by_month(paid, period, "paid_at").annotate(time_to_pay=_time_to_pay()):
        rows[row["month"], row["currency"]]["time_to_pay"] = row["time_to_pay"]
    methods = defaultdict(dict)
    for (month, currency, method), figures in _method_rows(sites, period, origin, by_month=True).items():
        methods[month, currency][method] = figures
        rows.setdefault((month, currency), {})  # a month with payments only still gets its row
    return [
        _month_stats(month, currency, figures, methods[month, currency])
        for (month, currency), figures in sorted(rows.items())
    ]


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class _Period:
    """Local days ``start`` to ``end`` as a half-open range of instants, which indexes can serve."""

    def __init__(self, start: date, end: date):
        self.start, self.end = start, end
        self.since, self.until = _midnight(start), _midnight(end + timedelta(days=1))

    def q(self, field_name):
        return Q(**{f"{field_name}__gte": self.since, f"{field_name}__lt": self.until})

    def month_of(self, field_name):
        """The local month of ``field_name`` (its first day), for rows inside the period.

        Comparisons with each month's first instant, rather than ``TruncMonth``: SQLite truncates
        time-zone-aware timestamps in Python, row by row, which costs seconds on 100,000 invoices.
        """
        months, month = [], month_start(self.start)
        while month <= self.end:
            following = month_start(month + timedelta(days=31))
            months.append(When(**{f"{field_name}__lt": _midnight(following)}, then=Value(month)))
            month = following
        return Case(*months, output_field=DateField())


class _DaysElapsed(Func):
    """``later - earlier`` in days, with database arithmetic (Django's own would subtract the
    timestamps in Python on SQLite, row by row)."""

    arity = 2
    arg_joiner = " - "
    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400)"
    # Six places (a tenth of a second) absorb the float noise of SQLite's julianday() differences.
    output_field = DecimalField(max_digits=20, decimal_places=6)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(", **extra_context
        )


def _time_to_pay(**kwargs):
    return Avg(_DaysElapsed("paid_at", "issued_at"), **kwargs)


def _invoices(sites, origin):
    return Invoice.objects.filter(origin_q(origin), site__in=sites).exclude(
        status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID]
    )


def _by_month(queryset, period, field_name):
    return queryset.annotate(month=period.month_of(field_name)).values("month", "currency").order_by()


def _days_past_due_q(first, last, as_of):
    """Open invoices ``first`` to ``last`` days past due on ``as_of``; ``first=None`` means not yet due
    (an invoice due on ``as_of``, or with no due date, is not past due). Past due counts from
    ``collect_by``: the first open instalment's date under a payment plan, else the due date."""
    if first is None:
        return Q(status=InvoiceStatus.OPEN) & (Q(collect_by__gte=as_of) | Q(collect_by__isnull=True))
    q = Q(status=InvoiceStatus.OPEN, collect_by__lte=as_of - timedelta(days=first))
    if last is not None:
        q &= Q(collect_by__gte=as_of - timedelta(days=last))
    return q


def _invoice_figures(sites, period, as_of, origin):
    issued = period.q("issued_at")
    paid_in_period = period.q("paid_at") & Q(status=InvoiceStatus.PAID)
    open_ = Q(status=InvoiceStatus.OPEN)
    overdue = open_ & Q(collect_by__lt=as_of)
    aggregates = {
        "invoice_count": Count("pk", filter=issued),
        "paid_count": Count("pk", filter=issued & Q(status=InvoiceStatus.PAID)),
        "unpaid_count": Count("pk", filter=issued & open_),
        "uncollectible_count": Count("pk", filter=issued & Q(status=InvoiceStatus.UNCOLLECTIBLE)),
        "invoiced": Sum("total", filter=issued),
        "time_to_pay": _time_to_pay(filter=paid_in_period),
        "outstanding": Sum(AMOUNT_DUE, filter=open_),
        "overdue_count": Count("pk", filter=overdue),
        "overdue_amount": Sum(AMOUNT_DUE, filter=overdue),
    }
    for key, _label, first, last in AGING_BUCKETS:
        bucket = _days_past_due_q(first, last, as_of)
        aggregates[f"aging_{key}_count"] = Count("pk", filter=bucket)
        aggregates[f"aging_{key}_amount"] = Sum(AMOUNT_DUE, filter=bucket)
    rows = (
        _invoices(sites, origin)
        .filter(issued | paid_in_period | open_)
        .values("currency")
        .order_by()
        .annotate(**aggregates)
    )
    return {row.pop("currency"): row for row in rows}


def _method_rows(sites, period, origin, *, by_month=False):
    """``{(currency, method): [count, received, refunded]}``, keyed by month first when ``by_month``."""
    payments = Payment.objects.filter(
        period.q("created_at"), origin_q(origin, "invoice__"), invoice__site__in=sites, status=Payment.Status.SUCCEEDED
    ).order_by()
    refunds = (
        Refund.objects.filter(
            period.q("created_at"),
            origin_q(origin, "payment__invoice__"),
            payment__invoice__site__in=sites,
            payment__status=Payment.Status.SUCCEEDED,
        )
        .order_by()
        .annotate(currency=F("payment__currency"), method=F("payment__method"))
    )
    keys = ("currency", "method")
    if by_month:
        keys = ("month", *keys)
        payments = payments.annotate(month=period.month_of("created_at"))
        refunds = refunds.annotate(month=period.month_of("created_at"))
    figures = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for row in payments.values(*keys).annotate(count=Count("pk"), received=Sum("amount")):
        figures[tuple(row[key] for key in keys)][:2] = row["count"], row["received"]
    for row in refunds.values(*keys).annotate(refunded=Sum("amount")):
        figures[tuple(row[key] for key in keys)][2] = row["refunded"]
    return figures


def _by_method(currency, figures):
    """Every method, in a fixed order, from ``{method: (count, received, refunded)}``."""
    result = {}
    for method in PaymentMethod:
        count, received, refunded = figures.get(method.value, (0, 0, 0))
        result[method.value] = MethodStats(
            method=method.value,
            label=str(method.label),
            count=count,
            amount=round_money(received, currency),
            refunded=round_money(refunded, currency),
        )
    return result


def _collected(currency, by_method):
    received = sum(
        (figures.amount - figures.refunded for method, figures in by_method.items() if method in CASH_METHODS),
        Decimal(0),
    )
    return round_money(received, currency)


def _days(days):
    return None if days is None else Decimal(days).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _money(value, currency):
    return round_money(value or 0, currency)


def _period_figures(currency, row, by_method):
    """The fields that ``CurrencyStats`` and ``MonthStats`` share: the flows of a period."""
    return {
        "currency": currency,
        "invoice_count": row.get("invoice_count", 0),
        "paid_count": row.get("paid_count", 0),
        "unpaid_count": row.get("unpaid_count", 0),
        "uncollectible_count": row.get("uncollectible_count", 0),
        "invoiced": _money(row.get("invoiced"), currency),
        "collected": _collected(currency, by_method),
        "average_days_to_pay": _days(row.get("time_to_pay")),
        "by_method": by_method,
    }


def _currency_stats(currency, row, methods):
    by_method = _by_method(
        currency, {method: figures for (code, method), figures in methods.items() if code == currency}
    )
    return CurrencyStats(
        **_period_figures(currency, row, by_method),
        outstanding=_money(row.get("outstanding"), currency),
        overdue_count=row.get("overdue_count", 0),
        overdue_amount=_money(row.get("overdue_amount"), currency),
        aging=tuple(
            AgingBucket(
                key=key,
                label=str(label),
                count=row.get(f"aging_{key}_count", 0),
                amount=_money(row.get(f"aging_{key}_amount"), currency),
            )
            for key, label, _first, _last in AGING_BUCKETS
        ),
    )


def _month_stats(month, currency, row, methods):
    return MonthStats(
        month=month,
        **_period_figures(currency, row, _by_method(currency, methods)),
        outstanding=_money(row.get("outstanding"), currency),
    )
