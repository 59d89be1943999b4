"""What an invoice asks for now: the balance, the part due today under a payment plan, and the
price of paying everything before an early-payment discount ends. The pay page, the API, the
Stripe amount and the link binding all read it, so what is shown is what is charged."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from ..core import instalments as plan
from ..core.lifecycle import COLLECTIBLE_STATES
from ..core.money import round_money, to_minor_units
from ..providers import get_provider


@dataclass(frozen=True)
class AmountsDue:
    balance: Decimal  # everything still owed
    now: Decimal  # what the pay page asks for: the early price, the instalments due, or the balance
    least: Decimal  # the least one payment may be, when less than the balance may be paid
    early_price: Decimal | None  # paying everything by ``early_until`` costs this
    early_until: date | None
    instalments: tuple  # core.instalments.InstalmentState, earliest first; empty without a plan

    @property
    def early_discount(self):
        return self.balance - self.early_price if self.early_price is not None else None


def instalment_states(invoice):
    """The plan's instalments with what the invoice's settled money has paid of each."""
    rows = [(i.sequence, i.due_date, i.amount) for i in invoice.instalments.all()]
    if not rows:
        return []
    settled = invoice.total - invoice.amount_due
    return plan.settle(rows, settled, invoice.currency)


def early_price(invoice, *, on=None):
    """What paying the rest of the balance on ``on`` (today) costs, where the early-payment
    discount applies: until the end of its last day. The discount is a percentage of what the
    invoice bills (its total less credit notes), never of a part, so that paying in parts, or with
    credit first, earns the same discount as paying at once."""
    on = on or timezone.localdate()
    if (
        not invoice.early_discount_until
        or on > invoice.early_discount_until
        or not invoice.early_discount_percent
        or invoice.status not in COLLECTIBLE_STATES
    ):
        return None
    discount = round_money(
        (invoice.total - invoice.amount_credited) * invoice.early_discount_percent / 100, invoice.currency
    )
    balance = invoice.amount_due
    return balance - discount if balance > discount else None


def early_price_minor(invoice):
    price = early_price(invoice)
    return None if price is None else to_minor_units(price, invoice.currency)


def amounts_due(invoice, *, today=None):
    today = today or timezone.localdate()
    balance = invoice.amount_due
    states = tuple(instalment_states(invoice)) if balance else ()
    early = early_price(invoice, on=today)
    # The smallest card payment the provider takes: a part paid with credit can leave less than
    # that of an instalment, and the card then pays the provider's minimum (never more than the balance).
    minimum = min(get_provider().minimum_amount(invoice.currency), balance)
    if states:
        least = max(min(plan.due_now(states, today, invoice.currency), balance), minimum)
    elif invoice.allow_partial_payments:
        least = minimum
    else:
        least = balance
    now = early if early is not None else (least if states else balance)
    return AmountsDue(
        balance=balance,
        now=now,
        least=least,
        early_price=early,
        early_until=invoice.early_discount_until if early is not None else None,
        instalments=states,
    )


def next_collect_by(invoice):
    """When the money still open is due: the earliest open instalment's date, else the due date."""
    upcoming = plan.first_open(instalment_states(invoice))
    return upcoming.due_date if upcoming else invoice.due_date
