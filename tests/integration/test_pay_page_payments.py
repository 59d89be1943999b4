"""Paying on the pay page over HTTP, against localstripe: card, credit, and credit then card.
What the browser's Stripe.js would do is played with localstripe's own API (tests/localstripe.py)."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import InvoiceEvent, Payment, PaymentMethod
from invoicing.services.payments import credit_balance, record_manual_payment
from tests.factories import ClientFactory, line, open_invoice
from tests.localstripe import CARD_REQUIRING_3DS, free_port

pytestmark = pytest.mark.django_db


def path_of(url):
    return urlsplit(url).path


def get(client, url):
    parts = urlsplit(url)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""), HTTP_HOST="acme.test")


def post(client, url, data=None):
    return client.post(path_of(url), data or {}, HTTP_HOST="acme.test")


def give_credit(client_record, site, amount):
    """Credit as clients really get it: an overpayment of another invoice."""
    other, _ = open_invoice(site, client=client_record, lines=[line(unit_price="10.00")])
    record_manual_payment(other, reason="Bank transfer", by=None, amount=Decimal("10.00") + Decimal(amount))


@pytest.fixture
def hundred(site_a):
    return open_invoice(site_a, lines=[line(unit_price="100.00")])


def test_a_full_card_payment_goes_from_the_page_to_the_receipt(client, hundred, stripe_server, anymail_outbox):
    invoice, link = hundred
    started = post(client, link.url + "card/")
    assert started.status_code == 200
    checkout = started.json()
    assert checkout["publishable_key"] == "pk_test_localstripe" and checkout["client_secret"].startswith("pi_")
    # Absolute, on the site's own host, whatever Host the request came with.
    assert checkout["return_url"] == link.url + "return/"
    assert checkout["amount"] == "100.00 EUR"
    assert checkout["confirm_url"] == path_of(link.url) + "card/confirm-offline/"  # offline (localstripe) only
    assert stripe_server.intent(checkout["intent_id"])["amount"] == 10000

    assert stripe_server.pay(checkout["intent_id"])[0] == 200
    returned = get(
        client, checkout["return_url"] + f"?payment_intent={checkout['intent_id']}&redirect_status=succeeded"
    )
    assert returned.status_code == 302 and returned["Location"] == path_of(link.url) + "receipt/"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.payments.get().provider_reference == checkout["intent_id"]
    receipt = get(client, link.url + "receipt/").content.decode()
    assert "Thank you: we received 100.00 EUR" in receipt and "paid in full" in receipt
    # Coming back twice (a reload) counts it once.
    get(client, checkout["return_url"] + f"?payment_intent={checkout['intent_id']}")
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_a_tampered_amount_for_a_full_payment_is_ignored(client, site_a, stripe_server):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="100.00")])  # no partial payments
    for data in (
        {"amount": "1.00"},
        {"amount_choice": "full", "amount": "1.00"},
        {"amount_choice": "part", "amount": "1"},
    ):
        checkout = post(client, link.url + "card/", data).json()
        assert stripe_server.intent(checkout["intent_id"])["amount"] == 10000, data


def test_a_partial_card_payment_keeps_the_receipt_reachable_and_moves_the_link(client, site_a, stripe_server):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="100.00")], allow_partial_payments=True)
    too_small = post(client, link.url + "card/", {"amount_choice": "part", "amount": "0.10"})
    assert too_small.status_code == 400 and "The smallest card payment is €0.50." in too_small.json()["error"]
    assert post(client, link.url + "card/", {"amount_choice": "part"}).json()["error"] == (
        "Enter the amount you want to pay."
    )

    checkout = post(client, link.url + "card/", {"amount_choice": "part", "amount": "30.00"}).json()
    assert stripe_server.intent(checkout["intent_id"])["amount"] == 3000
    stripe_server.pay(checkout["intent_id"])
    returned = get(client, checkout["return_url"] + f"?payment_intent={checkout['intent_id']}")
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("30.00") and invoice.status == InvoiceStatus.OPEN
    # The balance changed, so the link did: the receipt is on the new one, which pays the rest.
    new_receipt = returned["Location"]
    assert new_receipt.endswith("/receipt/") and new_receipt != path_of(link.url) + "receipt/"
    body = client.get(new_receipt, HTTP_HOST="acme.test").content.decode()
    assert "70.00 EUR is still due." in body and "Pay the rest" in body
    # The old link opens the receipt only, and offers a fresh link for the rest.
    old_receipt = get(client, link.url + "receipt/").content.decode()
    assert "Email me a link to pay the rest" in old_receipt
    assert get(client, link.url).status_code == 410


def test_the_return_url_pays_nothing_for_a_forged_or_unpaid_intent(client, hundred, site_a, stripe_server):
    invoice, link = hundred
    checkout = post(client, link.url + "card/").json()  # started, never paid
    unpaid = get(client, link.url + f"return/?payment_intent={checkout['intent_id']}&redirect_status=succeeded")
    assert unpaid.status_code == 402 and "Nothing was charged" in unpaid.content.decode()
    forged = get(client, link.url + "return/?payment_intent=pi_forged&redirect_status=succeeded")
    assert forged.status_code == 400 and "does not belong to invoice" in forged.content.decode()
    # Another invoice's intent, even a paid one, pays nothing here.
    _, other_link = open_invoice(site_a)
    other_checkout = post(client, other_link.url + "card/").json()
    stripe_server.pay(other_checkout["intent_id"])
    stolen = get(client, link.url + f"return/?payment_intent={other_checkout['intent_id']}")
    assert stolen.status_code == 400
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not invoice.payments.exists()


def test_a_declined_card_says_so_and_the_invoice_stays_open(client, hundred, stripe_server):
    invoice, link = hundred
    checkout = post(client, link.url + "card/").json()
    assert stripe_server.pay(checkout["intent_id"], "pm_card_chargeCustomerFail")[0] == 402
    returned = get(client, link.url + f"return/?payment_intent={checkout['intent_id']}")
    assert returned.status_code == 402
    assert "The payment did not go through" in returned.content.decode()
    assert 'id="card-form"' in returned.content.decode()  # try another card
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN


def test_when_stripe_is_down_the_page_says_so_and_a_retry_works(client, hundred, stripe_server, settings):
    invoice, link = hundred
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    down = post(client, link.url + "card/")
    assert down.status_code == 503
    assert down.json() == {
        "error": "We could not reach our card processor, so nothing has changed. Please try again in a moment.",
        "retry": True,
    }
    assert not invoice.card_payments.exists()

    settings.STRIPE_API_BASE = stripe_server.url
    checkout = post(client, link.url + "card/").json()
    stripe_server.pay(checkout["intent_id"])
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    back = get(client, link.url + f"return/?payment_intent={checkout['intent_id']}")
    assert back.status_code == 503
    body = back.content.decode()
    assert "could not reach our card processor" in body
    assert f'href="{path_of(link.url)}return/?payment_intent={checkout["intent_id"]}">Try again</a>' in body

    settings.STRIPE_API_BASE = stripe_server.url
    assert get(client, link.url + f"return/?payment_intent={checkout['intent_id']}").status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_the_offline_card_widget_pays_through_the_server(client, hundred, stripe_server):
    invoice, link = hundred
    checkout = post(client, link.url + "card/").json()
    card = stripe_server.card_token()
    confirmed = post(client, link.url + "card/confirm-offline/", {"intent_id": checkout["intent_id"], "card_id": card})
    assert confirmed.json() == {"status": "succeeded", "redirect": path_of(link.url) + "receipt/"}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    # The return URL, where the browser may still go, counts nothing more.
    get(client, link.url + f"return/?payment_intent={checkout['intent_id']}")
    assert invoice.payments.count() == 1


def test_a_declined_card_on_the_offline_widget_is_told(client, hundred, stripe_server):
    invoice, link = hundred
    checkout = post(client, link.url + "card/").json()
    card = stripe_server.card_token("4000000000000341")
    declined = post(client, link.url + "card/confirm-offline/", {"intent_id": checkout["intent_id"], "card_id": card})
    assert declined.status_code == 409 and "declined" in declined.json()["error"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not invoice.payments.exists()


def test_the_offline_widget_hands_3d_secure_to_the_browser(client, hundred, stripe_server):
    _, link = hundred
    checkout = post(client, link.url + "card/").json()
    card = stripe_server.card_token(CARD_REQUIRING_3DS)
    confirmed = post(client, link.url + "card/confirm-offline/", {"intent_id": checkout["intent_id"], "card_id": card})
    assert confirmed.json() == {"status": "requires_action"}


def test_the_offline_widget_confirms_only_this_invoices_intents(client, hundred, site_a, stripe_server):
    _, link = hundred
    _, other_link = open_invoice(site_a)
    other = post(client, other_link.url + "card/").json()
    refused = post(
        client,
        link.url + "card/confirm-offline/",
        {"intent_id": other["intent_id"], "card_id": stripe_server.card_token()},
    )
    assert (
        refused.status_code == 409 and stripe_server.intent(other["intent_id"])["status"] == "requires_payment_method"
    )


def test_credit_pays_in_full(client, site_a, anymail_outbox):
    client_record = ClientFactory(site=site_a)
    give_credit(client_record, site_a, "150.00")
    invoice, link = open_invoice(site_a, client=client_record, lines=[line(unit_price="100.00")])
    response = post(client, link.url + "credit/")
    assert response.status_code == 302 and response["Location"] == path_of(link.url) + "receipt/"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.payments.get().method == PaymentMethod.CREDIT
    assert credit_balance(client_record, "EUR") == Decimal("50.00")


def test_credit_pays_in_part_and_the_rest_stays_payable(client, site_a):
    client_record = ClientFactory(site=site_a)
    give_credit(client_record, site_a, "150.00")
    invoice, link = open_invoice(site_a, client=client_record, lines=[line(unit_price="100.00")])
    response = post(client, link.url + "credit/", {"credit_amount": "20.00"})
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("20.00") and invoice.status == InvoiceStatus.OPEN
    receipt = client.get(response["Location"], HTTP_HOST="acme.test").content.decode()
    assert "80.00 EUR is still due." in receipt and "Pay the rest" in receipt
    too_much = post(client, response["Location"].removesuffix("receipt/") + "credit/", {"credit_amount": "500"})
    assert too_much.status_code == 409 and "Only 130.00 EUR of credit is available." in too_much.content.decode()


def test_credit_first_then_card_for_the_rest(client, site_a, stripe_server):
    client_record = ClientFactory(site=site_a)
    give_credit(client_record, site_a, "30.00")
    invoice, link = open_invoice(site_a, client=client_record, lines=[line(unit_price="100.00")])
    started = post(client, link.url + "card/", {"amount_choice": "full", "use_credit": "1"}).json()
    assert started["notice"] == "30.00 EUR of your credit was applied; 70.00 EUR remains to pay by card."
    assert started["amount"] == "70.00 EUR" and stripe_server.intent(started["intent_id"])["amount"] == 7000
    # The partial payment replaced the link; the page and the return URL move to the new one.
    assert started["page_url"] != path_of(link.url) and started["return_url"].endswith(started["page_url"] + "return/")
    stripe_server.pay(started["intent_id"])
    get(client, started["return_url"] + f"?payment_intent={started['intent_id']}")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert sorted((p.method, p.amount) for p in invoice.payments.all()) == [
        (PaymentMethod.CREDIT, Decimal("30.00")),
        (PaymentMethod.STRIPE, Decimal("70.00")),
    ]
    assert credit_balance(client_record, "EUR") == 0


def test_credit_covering_everything_needs_no_card(client, site_a, stripe_server):
    client_record = ClientFactory(site=site_a)
    give_credit(client_record, site_a, "100.00")
    invoice, link = open_invoice(site_a, client=client_record, lines=[line(unit_price="100.00")])
    started = post(client, link.url + "card/", {"use_credit": "1"}).json()
    assert started == {"redirect": path_of(link.url) + "receipt/"}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and not invoice.card_payments.exists()
    assert InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEvent.Kind.PAID).count() == 1
