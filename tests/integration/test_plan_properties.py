"""Payment plans under any sequence of payments, as the issue asks: for any plan (equal or custom)
and any payments (card payments of what is due now, of more, of everything; account credit; manual
entries), in EUR, JPY and KWD:

- the instalments add up to the invoice's total;
- the amount due is never negative;
- each payment settles the earliest open instalment first (what is paid of the plan is a prefix);
- the payment link is bound to the balance (its ``amount_due_minor`` is the invoice's);
- displayed = bound = charged: the amount the pay page offers by default, ``amounts_due().now``
  and the amount ``start_card_payment`` asks the provider for without an amount are the same.

The provider is a stub that records the intents it is asked for (amount in minor units, as
``providers.stripe`` sends them), not localstripe: hypothesis replays many examples inside rolled
back transactions, which reuse invoice ids, and so idempotency keys, that a stateful localstripe
would answer with the intents of earlier examples. The pay page and the card flow against
localstripe are covered by ``test_payment_plans.py`` and the browser test. Derandomized; about
ten seconds."""

import itertools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from invoicing.core.exceptions import InvoicingError
from invoicing.core.money import from_minor_units, quantum, round_money, to_minor_units
from invoicing.models import BillingSettings, CreditEntry, PaymentMethod
from invoicing.providers import PROVIDERS
from invoicing.providers.base import ProviderIntent
from invoicing.providers.stripe import StripeProvider
from invoicing.services.amounts_due import amounts_due, instalment_states
from invoicing.services.checkout import start_card_payment
from invoicing.services.payments import apply_payment, pay_with_credit, record_manual_payment
from invoicing.services.plans import set_plan
from tests.factories import ClientFactory, line, open_invoice

pytestmark = pytest.mark.django_db

CURRENCIES = ("EUR", "JPY", "KWD")
_counter = itertools.count()


class RecordingProvider:
    """What ``checkout`` needs of a provider, answering at once and keeping each intent's minor units."""

    intents = {}
    publishable_key = "pk_test_stub"
    offline = False
    livemode = False

    @classmethod
    def from_settings(cls):
        return cls()

    def minimum_amount(self, currency):
        return StripeProvider.minimum_amount(self, currency)

    def create_intent(self, *, amount, currency, metadata, idempotency_key, save_for_customer=""):
        intent_id = f"pi_stub_{next(_counter)}"
        minor = to_minor_units(amount, currency)  # what providers.stripe sends
        self.intents[intent_id] = (minor, currency)
        return self._intent(intent_id)

    def _intent(self, intent_id, status="requires_payment_method"):
        minor, currency = self.intents[intent_id]
        amount = from_minor_units(minor, currency)
        return ProviderIntent(intent_id, status, amount, Decimal(0), currency, False, {}, f"{intent_id}_secret")

    def retrieve_intent(self, intent_id):
        return self._intent(intent_id)

    def cancel_intent(self, intent_id):
        return self._intent(intent_id, status="canceled")


@pytest.fixture
def stub_provider(monkeypatch):
    monkeypatch.setitem(PROVIDERS, "stripe", f"{__name__}.RecordingProvider")
    RecordingProvider.intents = {}
    return RecordingProvider


amounts_in_minor = st.integers(min_value=200, max_value=5_000_000)
plans = st.one_of(
    st.tuples(st.just("equal"), st.integers(2, 6), st.integers(-70, 40)),
    st.tuples(
        st.just("custom"),
        st.lists(st.integers(1, 1000), min_size=2, max_size=5),  # relative weights of the instalments
        st.integers(-70, 40),
    ),
)
payments = st.lists(
    st.tuples(st.sampled_from(["card_now", "card_more", "card_all", "credit", "manual"]), st.integers(1, 99)),
    min_size=1,
    max_size=5,
)


def custom_schedule(total, weights, first_due, currency):
    """Split ``total`` by ``weights``, each part at least one minor unit, the rest on the last."""
    step = quantum(currency)
    whole = sum(weights)
    parts = [max(step, round_money(total * weight / whole, currency)) for weight in weights[:-1]]
    last = total - sum(parts)
    if last <= 0:
        return None
    parts.append(last)
    return [(first_due + timedelta(days=30 * index + index), part) for index, part in enumerate(parts)]


def pay_page_amount(client, link):
    """The amount the pay page offers by default, as it shows it (and as its radio button says)."""
    path = "/" + link.split("/", 3)[3]
    body = client.get(path, HTTP_HOST="acme.test").content.decode()
    match = re.search(r'value="now" checked data-amount="([0-9.]+)"', body)
    return Decimal(match.group(1)) if match else None


def settled_prefix(states):
    """Payments settle the earliest first: every instalment before a partly paid one is paid, and
    every one after it is untouched."""
    seen_open = False
    for state in states:
        if seen_open:
            assert state.paid == 0, states
        if not state.is_paid:
            seen_open = True


def check_invariants(client, invoice, link_url, recorder):
    invoice.refresh_from_db()
    states = instalment_states(invoice)
    assert sum(s.amount for s in states) == invoice.total
    assert invoice.amount_due >= 0
    settled_prefix(states)
    link = invoice.payment_link
    if invoice.amount_due > 0:
        assert link.amount_due_minor == invoice.amount_due_minor
        due = amounts_due(invoice)
        shown = pay_page_amount(client, link_url)
        checkout = start_card_payment(invoice)  # amount=None: what the page's default button charges
        minor, currency = recorder.intents[checkout.intent_id]
        assert shown == due.now == from_minor_units(minor, currency) == checkout.amount, (shown, due)


@given(currency=st.sampled_from(CURRENCIES), total_minor=amounts_in_minor, plan=plans, steps=payments)
@hypothesis_settings(
    max_examples=40, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
def test_any_plan_and_any_payments_keep_the_money_rules(client, site_a, stub_provider, currency, total_minor, plan,
                                                         steps):  # fmt: skip
    with transaction.atomic():
        billing = BillingSettings.for_site(site_a)
        billing.credit_enabled = True
        billing.save()
        total = from_minor_units(total_minor, currency)
        invoice, link = open_invoice(
            site_a, client=ClientFactory(site=site_a), currency=currency, lines=[line(unit_price=str(total))]
        )
        first_due = timezone.localdate() + timedelta(days=plan[2])
        if plan[0] == "equal":
            set_plan(invoice, count=plan[1], first_due=first_due)
        else:
            schedule = custom_schedule(invoice.total, plan[1], first_due, currency)
            if schedule is None:
                transaction.set_rollback(True)
                return
            set_plan(invoice, instalments=schedule)
        link_url = link.url
        check_invariants(client, invoice, link_url, stub_provider)

        for number, (kind, percent) in enumerate(steps):
            invoice.refresh_from_db()
            if invoice.amount_due == 0:
                break
            due = amounts_due(invoice)
            try:
                if kind == "card_now":
                    result = card_paid(invoice, None, stub_provider, number)
                elif kind == "card_all":
                    result = card_paid(invoice, due.balance, stub_provider, number)
                elif kind == "card_more":
                    more = round_money(due.least + (due.balance - due.least) * percent / 100, currency)
                    result = card_paid(invoice, more, stub_provider, number)
                elif kind == "credit":
                    CreditEntry.objects.create(
                        client=invoice.client,
                        currency=currency,
                        amount=max(quantum(currency), round_money(due.balance * percent / 100, currency)),
                        kind=CreditEntry.Kind.ADDED,
                    )
                    result = pay_with_credit(invoice)
                else:
                    amount = max(quantum(currency), round_money(due.balance * percent / 100, currency))
                    result = record_manual_payment(invoice, reason="Bank transfer", by=None, amount=amount)
            except InvoicingError:
                # A card amount the terms refuse (it would leave less than a card can pay later): nothing changed.
                continue
            if result.new_link:
                link_url = result.new_link.url
            check_invariants(client, invoice, link_url, stub_provider)
        transaction.set_rollback(True)


def card_paid(invoice, amount, recorder, number):
    """A card payment as the webhook counts it: the intent's amount, received."""
    checkout = start_card_payment(invoice, amount=amount)
    minor, currency = recorder.intents[checkout.intent_id]
    return apply_payment(
        invoice,
        method=PaymentMethod.STRIPE,
        amount=from_minor_units(minor, currency),
        currency=currency,
        provider_reference=checkout.intent_id,
    )
