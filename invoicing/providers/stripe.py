"""Stripe, through its Python SDK: the only module that imports ``stripe`` (import-linter checks).

Money crosses Stripe's API in minor units, converted here with Stripe's own currency table.
Whatever goes wrong on the way to Stripe becomes ``ProviderUnavailable`` (nothing changed, a retry
is safe) or ``PaymentRejected`` (Stripe refused the request itself).
"""

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache

import stripe
from django.utils.translation import gettext as _

from ..conf import LOCALSTRIPE_SECRET_KEY, invoicing_settings
from ..core.exceptions import PaymentRejected, ProviderUnavailable
from ..core.money import from_minor_units, round_money, to_minor_units
from .base import (
    OffSessionCharge,
    PaymentProvider,
    ProviderCard,
    ProviderIntent,
    ProviderRefund,
    WebhookSignatureInvalid,
)

logger = logging.getLogger(__name__)

# No telemetry id under ~/.config/stripe, and no timing data sent along with requests.
stripe.enable_telemetry = False

WEBHOOK_TOLERANCE_SECONDS = 300
# Stripe's minimum charge amounts (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUM_CHARGE = {
    "AUD": "0.50",
    "CAD": "0.50",
    "CHF": "0.50",
    "CZK": "15.00",
    "DKK": "2.50",
    "EUR": "0.50",
    "GBP": "0.30",
    "JPY": "50",
    "NOK": "3.00",
    "PLN": "2.00",
    "SEK": "3.00",
    "USD": "0.50",
}
# Stripe's table has no three-decimal currency; half a dinar is above its 0.50 USD equivalent.
DEFAULT_MINIMUM_CHARGE = "0.5"
UNREACHABLE = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.AuthenticationError,
    stripe.PermissionError,
)


@lru_cache(maxsize=8)
def _client(secret_key, api_base, timeout, retries):
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base},
        http_client=stripe.RequestsClient(timeout=timeout),
        max_network_retries=retries,
    )


@contextmanager
def _calling_stripe(action):
    try:
        yield
    except stripe.CardError as exc:
        raise PaymentRejected(exc.user_message or _("The card was declined.")) from exc
    except UNREACHABLE as exc:
        logger.warning("Stripe unavailable while trying to %s: %s", action, exc)
        raise ProviderUnavailable(
            _("The card payment service cannot be reached right now. Nothing was charged; please try again shortly.")
        ) from exc
    except stripe.StripeError as exc:
        logger.error("Stripe refused to %s: %s", action, exc)
        raise PaymentRejected(_("The card payment service refused this payment; please contact us.")) from exc


def _received_minor(data):
    if data.get("amount_received") is not None:
        return data["amount_received"]
    # localstripe omits amount_received; Stripe always sends it. Count only a captured, paid charge.
    charge = data.get("latest_charge")
    if isinstance(charge, dict) and charge.get("status") == "succeeded" and charge.get("captured"):
        return charge["amount"]
    return 0


def _card(data):
    card = data.get("card") or {}
    customer = data.get("customer") or ""
    return ProviderCard(
        id=data["id"],
        customer=customer if isinstance(customer, str) else customer.get("id", ""),
        brand=card.get("brand") or "",
        last4=card.get("last4") or "",
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
    )


def _signed_at(signature):
    """The ``t=`` of a ``Stripe-Signature`` header (the first, as Stripe's library reads it)."""
    for item in signature.split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _refund(data):
    currency = data["currency"].upper()
    return ProviderRefund(
        id=data["id"],
        status=data.get("status") or "",
        amount=from_minor_units(data["amount"], currency),
        currency=currency,
        intent_id=data.get("payment_intent") or "",
    )


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self, *, secret_key, publishable_key, api_base, timeout=10, retries=2):
        self.publishable_key = publishable_key
        self.livemode = secret_key.startswith(("sk_live_", "rk_live_"))
        # localstripe's fake Stripe.js cannot confirm a payment, so offline the server does it.
        self.offline = secret_key == LOCALSTRIPE_SECRET_KEY
        self._stripe = _client(secret_key, api_base, timeout, retries)

    @classmethod
    def from_settings(cls):
        return cls(
            secret_key=invoicing_settings.stripe_secret_key,
            publishable_key=invoicing_settings.stripe_publishable_key,
            api_base=invoicing_settings.stripe_api_base,
            timeout=invoicing_settings.STRIPE_TIMEOUT_SECONDS,
            retries=invoicing_settings.STRIPE_NETWORK_RETRIES,
        )

    def minimum_amount(self, currency):
        return round_money(MINIMUM_CHARGE.get(currency.upper(), DEFAULT_MINIMUM_CHARGE), currency)

    def intent_from_event(self, data):
        currency = data["currency"].upper()
        error = data.get("last_payment_error") or {}
        return ProviderIntent(
            id=data["id"],
            status=data["status"],
            amount=from_minor_units(data["amount"], currency),
            amount_received=from_minor_units(_received_minor(data), currency),
            currency=currency,
            livemode=bool(data.get("livemode")),
            metadata=dict(data.get("metadata") or {}),
            client_secret=data.get("client_secret") or "",
            failure_message=error.get("message") or "",
        )

    def create_intent(self, *, amount, currency, metadata, idempotency_key, save_for_customer=""):
        params = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "metadata": metadata,
            "payment_method_types": ["card"],
        }
        if save_for_customer:
            # "Charge my card automatically": Stripe keeps the card on the customer once it paid.
            params.update(customer=save_for_customer, setup_future_usage="off_session")
        with _calling_stripe("create a payment intent"):
            intent = self._stripe.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        return self.intent_from_event(intent.to_dict())

    def retrieve_intent(self, intent_id):
        with _calling_stripe("retrieve a payment intent"):
            return self.intent_from_event(self._stripe.v1.payment_intents.retrieve(intent_id).to_dict())

    def cancel_intent(self, intent_id):
        with _calling_stripe("cancel a payment intent"):
            return self.intent_from_event(self._stripe.v1.payment_intents.cancel(intent_id).to_dict())

    def confirm_with_card_offline(self, intent_id, card_id):
        """localstripe only: attach a card made by its fake Stripe.js (``card_...``), then confirm.

        A card that needs 3-D Secure leaves the intent in ``requires_action``; a declined one
        raises ``PaymentRejected`` with the bank's reason.
        """
        if not self.offline:
            raise PaymentRejected(_("Cards are confirmed in the browser, by Stripe."))
        with _calling_stripe("attach a card"):
            self._stripe.v1.payment_intents.update(intent_id, {"payment_method": card_id})
        with _calling_stripe("confirm a payment"):
            # Without arguments: localstripe answers confirm(payment_method=...) with a 500.
            return self.intent_from_event(self._stripe.v1.payment_intents.confirm(intent_id).to_dict())

    def create_customer(self, *, email, name, metadata, idempotency_key):
        params = {"email": email, "name": name, "metadata": metadata}
        with _calling_stripe("create a customer"):
            return self._stripe.v1.customers.create(params, {"idempotency_key": idempotency_key}).id

    def save_card(self, customer, payment_method):
        with _calling_stripe("save a card"):
            return _card(self._stripe.v1.payment_methods.attach(payment_method, {"customer": customer}).to_dict())

    def create_card_setup(self, *, customer, metadata, idempotency_key):
        params = {"customer": customer, "usage": "off_session", "payment_method_types": ["card"], "metadata": metadata}
        with _calling_stripe("start saving a card"):
            setup = self._stripe.v1.setup_intents.create(params, {"idempotency_key": idempotency_key})
        return setup.id, setup.client_secret

    def card_from_setup(self, setup_id):
        with _calling_stripe("read a saved card"):
            setup = self._stripe.v1.setup_intents.retrieve(setup_id, {"expand": ["payment_method"]}).to_dict()
        method = setup.get("payment_method")
        if setup.get("status") != "succeeded" or not isinstance(method, dict):
            return None
        card = _card(method) if method.get("customer") else self.save_card(setup["customer"], method["id"])
        # Stripe attaches the card to the SetupIntent's customer itself; localstripe does not.
        return replace(card, metadata=dict(setup.get("metadata") or {}))

    def card_of_intent(self, intent_id):
        with _calling_stripe("read a saved card"):
            intent = self._stripe.v1.payment_intents.retrieve(intent_id, {"expand": ["payment_method"]}).to_dict()
        method = intent.get("payment_method")
        saved = intent.get("setup_future_usage") == "off_session" and intent.get("status") == "succeeded"
        if not saved or not isinstance(method, dict) or not method.get("customer"):
            return None
        return replace(_card(method), metadata=dict(intent.get("metadata") or {}))

    def detach_card(self, payment_method):
        try:
            with _calling_stripe("remove a saved card"):
                self._stripe.v1.payment_methods.detach(payment_method)
        except PaymentRejected:
            # Already detached (or deleted at Stripe): it can no longer be charged, as wanted.
            logger.info("Payment method %s was already detached", payment_method)

    def charge_saved_card(self, *, customer, payment_method, amount, currency, metadata, idempotency_key):
        """Charge a saved card without the client (``off_session``). A decline and a bank asking
        for authentication are outcomes, not errors: the caller tells the client."""
        params = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "off_session": True,
            "confirm": True,
            "metadata": metadata,
        }
        try:
            with _calling_stripe("charge a saved card"):
                intent = self._stripe.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except PaymentRejected as exc:
            card_error = exc.__cause__ if isinstance(exc.__cause__, stripe.CardError) else None
            if card_error is None:
                raise
            # Stripe reports the declined intent with the error; localstripe does not.
            declined = getattr(card_error.error, "payment_intent", None)
            intent = self.intent_from_event(declined.to_dict()) if declined else None
            return OffSessionCharge(intent=intent, failure=exc.message)
        intent = self.intent_from_event(intent.to_dict())
        if intent.status == "requires_action":
            return OffSessionCharge(intent=intent, failure=_("Your bank asks you to confirm this payment yourself."))
        return OffSessionCharge(intent=intent, failure=intent.failure_message)

    def refund_intent(self, intent_id, *, amount, currency, idempotency_key):
        params = {"payment_intent": intent_id, "amount": to_minor_units(amount, currency)}
        with _calling_stripe("refund a payment"):
            return _refund(self._stripe.v1.refunds.create(params, {"idempotency_key": idempotency_key}).to_dict())

    def list_refunds(self, intent_id):
        with _calling_stripe("list refunds"):
            page = self._stripe.v1.refunds.list({"payment_intent": intent_id, "limit": 100})
            return [_refund(refund.to_dict()) for refund in page.auto_paging_iter()]

    def verify_webhook(self, payload, signature, secrets):
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookSignatureInvalid(_("The webhook body is not UTF-8.")) from exc
        for secret in secrets:
            try:
                stripe.WebhookSignature.verify_header(text, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
            except stripe.SignatureVerificationError:
                continue
            # Stripe's library refuses only old timestamps; one far ahead would let a captured
            # delivery be replayed for longer than the tolerance.
            signed_at = _signed_at(signature)
            if signed_at is None or signed_at > time.time() + WEBHOOK_TOLERANCE_SECONDS:
                raise WebhookSignatureInvalid(_("The webhook signature's timestamp is in the future."))
            try:
                return json.loads(text)
            except ValueError as exc:
                raise WebhookSignatureInvalid(_("The webhook body is not JSON.")) from exc
        raise WebhookSignatureInvalid(_("The webhook signature does not match, or it is too old."))
