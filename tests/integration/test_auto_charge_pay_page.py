"""The pay page's side of automatic charges, over HTTP against localstripe: the "charge my card
automatically" box saves the card once the payment succeeded, the page then says so, and the
client stops it with a button. What localstripe's fake Stripe.js does in the browser
(``confirmCardSetup``, ``createToken``) is played with its own API."""

import json
from dataclasses import replace

import pytest

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import SavedCard
from invoicing.providers.stripe import StripeProvider
from invoicing.services.saved_cards import active_card, start_card_setup
from tests.factories import ClientFactory, line, open_invoice
from tests.integration.test_pay_page_payments import get, post

pytestmark = pytest.mark.django_db

CONSENT = "Charge my card automatically for this website's future invoices"


def confirm_card_setup(stripe_server, client_secret, number="4242424242424242"):
    """localstripe's fake Stripe.js ``confirmCardSetup``: the card goes to Stripe, never to us."""
    setup_id = client_secret.split("_secret_")[0]
    response = stripe_server.http.post(
        f"{stripe_server.url}/v1/setup_intents/{setup_id}/confirm",
        data=json.dumps(
            {
                "key": "pk_test_localstripe",
                "client_secret": client_secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": "12", "exp_year": "2040", "cvc": "123"},
                },
            }
        ),
        auth=None,
        timeout=5,
    )
    response.raise_for_status()
    return setup_id


def pay_and_save(client, stripe_server, link, number="4242424242424242"):
    checkout = post(client, link.url + "card/", {"save_card": "1"}).json()
    setup_id = confirm_card_setup(stripe_server, checkout["setup_client_secret"], number)
    card_id = stripe_server.card_from_stripe_js(number)
    return post(
        client,
        checkout["confirm_url"],
        {"intent_id": checkout["intent_id"], "card_id": card_id, "setup_id": setup_id},
    )


def test_ticking_the_box_saves_the_card_after_the_payment_and_the_client_can_stop_it(client, site_a, stripe_server):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="50.00")])
    page = get(client, link.url).content.decode()
    assert CONSENT in page and "never its number" in page

    confirmed = pay_and_save(client, stripe_server, link)

    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    card = active_card(invoice.client)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2040)
    assert card.payment_method_reference.startswith("pm_")
    attached = stripe_server.http.get(f"{stripe_server.url}/v1/payment_methods/{card.payment_method_reference}")
    assert attached.json()["customer"] == card.customer_reference

    receipt_link = link.url  # the invoice page stays reachable on this link after a full payment
    page = get(client, receipt_link).content.decode()
    assert "Your Visa •••• 4242 is charged automatically" in page and "Stop automatic charges" in page

    stopped = post(client, link.url + "saved-card/stop/")
    assert stopped.status_code == 200
    assert "Automatic charges are stopped" in stopped.content.decode()
    card.refresh_from_db()
    assert card.removed_at is not None and card.removed_by == SavedCard.RemovedBy.CLIENT
    assert "charged automatically" not in get(client, receipt_link).content.decode()


def test_without_the_box_no_card_is_saved(client, site_a, stripe_server):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="50.00")])
    checkout = post(client, link.url + "card/").json()
    assert "setup_client_secret" not in checkout
    post(
        client,
        checkout["confirm_url"],
        {"intent_id": checkout["intent_id"], "card_id": stripe_server.card_from_stripe_js()},
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and active_card(invoice.client) is None


def test_a_declined_payment_saves_no_card(client, site_a, stripe_server):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="50.00")])
    refused = pay_and_save(client, stripe_server, link, number="4000000000000341")
    assert refused.status_code == 409
    assert active_card(invoice.client) is None


def test_another_clients_setup_is_not_saved(client, site_a, stripe_server):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="50.00")])
    stranger = ClientFactory(site=site_a)
    _setup, secret = start_card_setup(stranger)
    setup_id = confirm_card_setup(stripe_server, secret)
    checkout = post(client, link.url + "card/").json()
    post(
        client,
        checkout["confirm_url"],
        {"intent_id": checkout["intent_id"], "card_id": stripe_server.card_from_stripe_js(), "setup_id": setup_id},
    )
    assert active_card(invoice.client) is None and active_card(stranger) is None


def test_stopping_is_a_post_on_a_working_link(client, site_a, stripe_server):
    _invoice, link = open_invoice(site_a)
    assert get(client, link.url + "saved-card/stop/").status_code == 405
    assert post(client, link.url.replace("/invoice/", "/invoice/x") + "saved-card/stop/").status_code == 404


def test_with_stripe_the_paying_intent_keeps_the_card(client, site_a, stripe_server, settings, monkeypatch):
    """Stripe's path (Payment Element): the intent is made with ``setup_future_usage`` on the
    client's customer, and the return URL saves the card it kept. localstripe refuses
    ``setup_future_usage`` and keeps no card, so those two calls are played at the provider seam."""
    settings.STRIPE_OFFLINE_JS = False
    made_for = []
    create_intent = StripeProvider.create_intent

    def create_without_saving(self, *, save_for_customer="", **kwargs):
        made_for.append(save_for_customer)
        return create_intent(self, **kwargs)

    def card_kept_by(self, intent_id):
        intent = stripe_server.intent(intent_id)
        return replace(self.save_card(made_for[-1], intent["payment_method"]), metadata=intent["metadata"])

    monkeypatch.setattr(StripeProvider, "create_intent", create_without_saving)
    monkeypatch.setattr(StripeProvider, "card_of_intent", card_kept_by)
    invoice, link = open_invoice(site_a, lines=[line(unit_price="50.00")])
    assert CONSENT in get(client, link.url).content.decode()

    checkout = post(client, link.url + "card/", {"save_card": "1"}).json()

    assert made_for[-1].startswith("cus_") and "setup_client_secret" not in checkout
    assert stripe_server.intent(checkout["intent_id"])["metadata"]["client_id"] == str(invoice.client_id)
    assert checkout["return_url"] == link.url + "return/?save_card=1"
    assert stripe_server.pay(checkout["intent_id"], stripe_server.card("4242424242424242"))[0] == 200
    returned = get(client, checkout["return_url"] + f"&payment_intent={checkout['intent_id']}")
    assert returned.status_code == 302
    card = active_card(invoice.client)
    assert (card.last4, card.customer_reference) == ("4242", made_for[-1])
