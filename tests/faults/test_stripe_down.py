"""Stripe down, through the pay page, against localstripe (a real process; fixture ``stripe_server``).

"Down" is each way a network call can fail: nothing listens (connection refused), a host that
accepts and never answers (a read timeout, ``STRIPE_TIMEOUT_SECONDS``), and one that answers 500.
Stripe itself cannot be broken from here; localstripe stands in for it, and its webhook is pointed
where nothing listens to lose a delivery. The late delivery at the end is localstripe's own event,
signed with Stripe's scheme and posted through Django's test client.
"""

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import CardPayment, InvoiceEvent, OutboundEmail, Payment, StripeEvent
from tests.conftest import STRIPE_WEBHOOK_SECRET
from tests.factories import line, open_invoice
from tests.localstripe import DEAD_URL, free_port, stripe_signature

pytestmark = pytest.mark.django_db
UNREACHABLE = "We could not reach our card processor, so nothing has changed. Please try again in a moment."
WEBHOOK = "/api/v1/order-payments/webhooks/stripe/"


def path_of(url):
    return urlsplit(url).path


def post(client, url, data=None):
    return client.post(path_of(url), data or {}, HTTP_HOST="acme.test")


def get(client, url):
    parts = urlsplit(url)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""), HTTP_HOST="acme.test")


class _Answers500(BaseHTTPRequestHandler):
    def _fail(self):
        body = json.dumps({"error": {"type": "api_error", "message": "An unknown error occurred"}}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _fail

    def log_message(self, *args):
        pass


class Outage:
    """A Stripe API base where Stripe does not work, in one of three ways."""

    def __init__(self, kind):
        self.kind = kind
        self._socket = self._server = None

    def __enter__(self):
        if self.kind == "refused":
            return f"http://127.0.0.1:{free_port()}"
        if self.kind == "hung":
            self._socket = socket.socket()
            self._socket.bind(("127.0.0.1", 0))
            self._socket.listen(64)  # connections complete in the kernel; nobody reads or answers
            return f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers500)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc):
        if self._socket:
            self._socket.close()
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def snapshot(invoice):
    invoice.refresh_from_db()
    return (
        invoice.status,
        invoice.amount_paid,
        invoice.payment_link_id,
        CardPayment.objects.count(),
        Payment.objects.count(),
        InvoiceEvent.objects.filter(invoice=invoice).count(),
        OutboundEmail.objects.count(),
    )


@pytest.mark.parametrize("kind", ["refused", "hung", "answers_500"])
def test_stripe_down_when_the_payment_starts_then_back(kind, client, site_a, stripe_server, settings, anymail_outbox):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="100.00")])
    before = snapshot(invoice)
    settings.STRIPE_TIMEOUT_SECONDS = 1

    with Outage(kind) as dead_base:
        settings.STRIPE_API_BASE = dead_base
        started = time.monotonic()
        down = post(client, link.url + "card/")
        elapsed = time.monotonic() - started
        page = get(client, link.url)

    # A clear answer for pay.js (not a 500), in about the timeout, and nothing written at all.
    assert down.status_code == 503 and down.json() == {"error": UNREACHABLE, "retry": True}
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert snapshot(invoice) == before
    assert page.status_code == 200 and "processing" not in page.content.decode().lower()

    settings.STRIPE_API_BASE = stripe_server.url
    checkout = post(client, link.url + "card/").json()
    assert stripe_server.pay(checkout["intent_id"])[0] == 200
    back = get(client, link.url + f"return/?payment_intent={checkout['intent_id']}")
    assert back.status_code == 302 and back["Location"] == path_of(link.url) + "receipt/"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.get().provider_reference == checkout["intent_id"]
    assert CardPayment.objects.get().payment is not None


def test_an_intent_kept_while_stripe_was_down_is_reused_and_counts_once(client, site_a, stripe_server, settings):
    """The intent was made, then Stripe went away before the card was confirmed: the row kept is a
    live, payable one (not a state that blocks the next try), and the next click reuses it."""
    invoice, link = open_invoice(site_a, lines=[line(unit_price="100.00")])
    first = post(client, link.url + "card/").json()
    card = stripe_server.card_token()

    with Outage("refused") as dead_base:
        settings.STRIPE_API_BASE = dead_base
        confirm = post(client, link.url + "card/confirm-offline/", {"intent_id": first["intent_id"], "card_id": card})
        again = post(client, link.url + "card/")
    assert confirm.status_code == 503 and confirm.json()["retry"] is True
    assert again.status_code == 503
    assert CardPayment.objects.get().status == "requires_payment_method"

    settings.STRIPE_API_BASE = stripe_server.url
    second = post(client, link.url + "card/").json()
    assert second["intent_id"] == first["intent_id"]
    paid = post(client, link.url + "card/confirm-offline/", {"intent_id": second["intent_id"], "card_id": card})
    assert paid.json()["status"] == "succeeded"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and Payment.objects.count() == 1


def test_the_lost_webhook_is_settled_once_by_the_sweep_and_a_late_delivery_changes_nothing(
    client, site_a, stripe_server, settings, anymail_outbox, django_capture_on_commit_callbacks
):
    # Stripe's deliveries go nowhere, and the client closes the tab after paying: no return URL.
    stripe_server.register_webhook(DEAD_URL, secret=STRIPE_WEBHOOK_SECRET)
    invoice, link = open_invoice(site_a, lines=[line(unit_price="100.00")])
    checkout = post(client, link.url + "card/").json()
    assert stripe_server.pay(checkout["intent_id"])[0] == 200
    # The sweep leaves intents younger than 10 minutes to the customer: this one is older.
    CardPayment.objects.update(created_at=timezone.now() - timedelta(minutes=20))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN

    def sweep():
        out, err = StringIO(), StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("reconcile_payments", stdout=out, stderr=err)
        return out.getvalue().strip(), err.getvalue()

    with Outage("refused") as dead_base:  # and the API is down at the first sweep, too
        settings.STRIPE_API_BASE = dead_base
        assert sweep()[0] == "1 checked, 0 counted, 0 closed, 1 error(s)."
    assert Payment.objects.count() == 0

    settings.STRIPE_API_BASE = stripe_server.url
    assert sweep()[0] == "1 checked, 1 counted, 0 closed, 0 error(s)."
    assert sweep()[0] == "0 checked, 0 counted, 0 closed, 0 error(s)."
    settled = snapshot(invoice)
    assert settled[0] == InvoiceStatus.PAID

    # Stripe's retry of the lost delivery arrives at last, then the browser comes back too.
    event = next(
        e
        for e in stripe_server.events("payment_intent.succeeded")
        if e["data"]["object"]["id"] == checkout["intent_id"]
    )
    body = json.dumps(event).encode()
    with django_capture_on_commit_callbacks(execute=True):
        late = client.post(
            WEBHOOK,
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(body, STRIPE_WEBHOOK_SECRET),
        )
        back = get(client, link.url + f"return/?payment_intent={checkout['intent_id']}")
        assert sweep()[0] == "0 checked, 0 counted, 0 closed, 0 error(s)."

    assert late.status_code == 200 and back.status_code == 302
    assert snapshot(invoice) == settled
    assert StripeEvent.objects.get().status == "processed"
    assert Payment.objects.get().provider_reference == checkout["intent_id"]
    receipts = [m for m in anymail_outbox if "receipt" in m.subject.lower()]
    assert len(anymail_outbox) == 1 and len(receipts) == 1, [m.subject for m in anymail_outbox]
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_RECEIVED).count() == 1
