"""Cards clients saved for a website's future invoices: saving one (it replaces the client's
previous card), removing one, and reading the active one. Only the provider's references and what
the client recognises the card by (brand, last 4 digits, expiry) are kept, never card data."""

import logging

from django.db import transaction
from django.utils import timezone

from ..models import AutoCharge, Client, SavedCard
from ..providers import get_provider

logger = logging.getLogger(__name__)


def active_card(client):
    # A payment link's lookup tells whether there is one (``tokens``): no query for most clients.
    if getattr(client, "has_saved_card", True) is False:
        return None
    return SavedCard.objects.active().filter(client=client).first()


def customer_for(client, provider):
    """The client's customer at the provider: the one an earlier saved card used, else a new one.
    The idempotency key is the client's, so a retried creation makes no second customer."""
    earlier = client.saved_cards.filter(provider=provider.name).exclude(customer_reference="").first()
    if earlier is not None:
        return earlier.customer_reference
    return provider.create_customer(
        email=client.email,
        name=client.name,
        metadata=_owner(client),
        idempotency_key=f"customer-client-{client.pk}",
    )


def _owner(client):
    return {"client_id": str(client.pk), "site_id": str(client.site_id)}


def start_card_setup(client):
    """A SetupIntent the browser confirms with Stripe.js (``confirmCardSetup``): the design's path
    of saving a card without paying. Returns its id and client secret."""
    provider = get_provider()
    customer = customer_for(client, provider)
    return provider.create_card_setup(
        customer=customer,
        metadata=_owner(client),
        idempotency_key=f"card-setup-client-{client.pk}-{client.saved_cards.count()}",
    )


def save_card_from_setup(client, setup_id):
    """The card a confirmed SetupIntent of this client's attached, saved for ``client``; ``None``
    if it is not confirmed, or not this client's."""
    provider = get_provider()
    card = provider.card_from_setup(setup_id)
    if card is None or card.metadata != _owner(client):
        return None
    return _store(client, card, provider)


def save_card_from_intent(client, intent_id):
    """The card a succeeded payment with "charge my card automatically" kept (Stripe's
    ``setup_future_usage``), saved for ``client``; ``None`` for any other payment."""
    provider = get_provider()
    card = provider.card_of_intent(intent_id)
    if card is None or card.metadata.get("client_id") != str(client.pk):
        return None
    return _store(client, card, provider)


def customer_reference(client):
    return customer_for(client, get_provider())


def save_card(client, payment_method):
    """Attach ``payment_method`` (a ``pm_…`` made in the client's browser by Stripe.js; never card
    data) to the client's customer, and make it the card that pays the client's future invoices:
    for a project's own card form (the pay page saves cards from a SetupIntent or a paying intent)."""
    provider = get_provider()
    card = provider.save_card(customer_for(client, provider), payment_method)
    return _store(client, card, provider)


def _store(client, card, provider):
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)
        previous = active_card(client)
        if previous is not None and previous.payment_method_reference == card.id:
            return previous
        if previous is not None:
            _remove(previous, removed_by=SavedCard.RemovedBy.CLIENT, user=None, provider=provider, cancel=False)
        saved = SavedCard.objects.create(
            client=client,
            provider=provider.name,
            customer_reference=card.customer,
            payment_method_reference=card.id,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )
        if previous is not None:
            # The new card replaces the old one for the charges still to come, too.
            previous.charges.pending().update(saved_card=saved)
    return saved


def remove_card(card, *, removed_by, user=None):
    """Stop charging ``card``: detached at the provider, marked removed (by whom), and every
    pending automatic charge with it cancelled. Removing a removed card changes nothing."""
    with transaction.atomic():
        card = SavedCard.objects.select_for_update().get(pk=card.pk)
        if card.removed_at is None:
            _remove(card, removed_by=removed_by, user=user, provider=get_provider(card.provider))
    return card


def _remove(card, *, removed_by, user, provider, cancel=True):
    card.removed_at = timezone.now()
    card.removed_by = removed_by
    card.removed_by_user = user
    card.save(update_fields=["removed_at", "removed_by", "removed_by_user"])
    if cancel:
        card.charges.pending().update(status=AutoCharge.Status.CANCELED, next_attempt_at=None)
    # After commit: a rollback keeps the card usable at Stripe as it stays usable here.
    reference = card.payment_method_reference
    transaction.on_commit(lambda: provider.detach_card(reference), robust=True)
