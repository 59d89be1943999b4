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


class PaymentProvider(ABC):
    name: str
    publishable_key: str
    livemode: bool

    @abstractmethod
    def minimum_amount(self, currency) -> Decimal:
        """The smallest amount the provider will charge in ``currency``."""

    @abstractmethod
    def create_intent(self, *, amount, currency, metadata, idempotency_key) -> ProviderIntent: ...

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
