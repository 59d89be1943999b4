"""The one small interface every card provider implements. Amounts cross it as ``Decimal`` with
a currency; conversion to minor units is the provider's own business, at its boundary."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal

from ..core.exceptions import ValidationFailed


class WebhookSignatureInvalid(ValidationFailed):
    """A webhook whose signature or timestamp does not check out: answered 400, nothing stored."""

    code = "webhook_signature_invalid"


@dataclass(frozen=True)
class ProviderIntent:
    """A payment intent as the provider reports it, normalised."""

    id: str
    status: str  # requires_payment_method, requires_confirmation, requires_action, processing, succeeded, canceled
    amount: Decimal
    amount_received: Decimal
    currency: str  # upper case, like ours
    livemode: bool
    metadata: dict = field(default_factory=dict)
    client_secret: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: str  # pending, succeeded, failed, canceled
    amount: Decimal
    currency: str
    intent_id: str


@dataclass(frozen=True)
class ProviderCard:
    """A card saved at the provider for off-session charges: its reference and what the client
    recognises it by. Never the number."""

    id: str
    customer: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OffSessionCharge:
    """The outcome of charging a saved card without the client: the intent when the provider
    made one (succeeded, requires_action, or declined), and why it did not go through."""

    intent: ProviderIntent | None
    failure: str = ""


class PaymentProvider(ABC):
    name: str
    publishable_key: str
    livemode: bool

    @abstractmethod
    def minimum_amount(self, currency) -> Decimal:
        """The smallest amount the provider will charge in ``currency``."""

    @abstractmethod
    def create_intent(self, *, amount, currency, metadata, idempotency_key, save_for_customer="") -> ProviderIntent:
        """With ``save_for_customer``, the card that pays it is kept on that customer for later."""

    @abstractmethod
    def retrieve_intent(self, intent_id) -> ProviderIntent: ...

    @abstractmethod
    def cancel_intent(self, intent_id) -> ProviderIntent: ...

    @abstractmethod
    def refund_intent(self, intent_id, *, amount, currency, idempotency_key) -> ProviderRefund: ...

    @abstractmethod
    def list_refunds(self, intent_id) -> list[ProviderRefund]: ...

    @abstractmethod
    def verify_webhook(self, payload: bytes, signature: str, secrets) -> dict:
        """The event as plain data, once its signature matches one of ``secrets``."""

    @abstractmethod
    def intent_from_event(self, data: dict) -> ProviderIntent: ...

    # Saved cards and off-session charges (auto-charge).

    @abstractmethod
    def create_customer(self, *, email, name, metadata, idempotency_key) -> str:
        """A new customer at the provider for one client of one website; its id."""

    @abstractmethod
    def save_card(self, customer, payment_method) -> ProviderCard:
        """Attach ``payment_method`` (made by the provider's browser library) to ``customer`` for
        future off-session charges."""

    @abstractmethod
    def create_card_setup(self, *, customer, metadata, idempotency_key) -> tuple[str, str]:
        """A SetupIntent the browser confirms (``confirmCardSetup``): its id and client secret."""

    @abstractmethod
    def card_from_setup(self, setup_id) -> ProviderCard | None:
        """The card a SetupIntent saved (with the SetupIntent's metadata), once it succeeded;
        ``None`` before."""

    @abstractmethod
    def card_of_intent(self, intent_id) -> ProviderCard | None:
        """The card a succeeded intent made with ``save_for_customer`` kept (with the intent's
        metadata); ``None`` for any other intent."""

    @abstractmethod
    def detach_card(self, payment_method) -> None: ...

    @abstractmethod
    def charge_saved_card(
        self, *, customer, payment_method, amount, currency, metadata, idempotency_key
    ) -> OffSessionCharge: ...
