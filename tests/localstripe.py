"""localstripe (a fake, stateful Stripe server from PyPI) run as a real process for the tests, and
the parts of a customer's browser that the tests play: attaching a card, the 3-D Secure check."""

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

# A port where nothing listens: webhooks of finished tests are pointed there.
DEAD_URL = "http://127.0.0.1:9/"
CARD_REQUIRING_3DS = "4000002500003155"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header made the way Stripe (and localstripe) make it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


class LocalStripe:
    def __init__(self, process, port, log):
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.http = requests.Session()
        self.http.auth = ("sk_test_localstripe", "")

    @classmethod
    def start(cls):
        port = free_port()
        log = tempfile.NamedTemporaryFile(prefix="localstripe-", suffix=".log", delete=False)  # noqa: SIM115
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "localstripe"), "--port", str(port), "--from-scratch"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tempfile.gettempdir(),
        )
        server = cls(process, port, log.name)
        server.delivering_to_a_server = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"localstripe exited; see {log.name}")
            try:
                server.http.get(f"{server.url}/v1/customers", timeout=1)
                return server
            except requests.ConnectionError:
                time.sleep(0.1)
        process.kill()
        raise RuntimeError(f"localstripe did not answer within 20 s; see {log.name}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        Path(self.log).unlink(missing_ok=True)

    def flush(self):
        """Forget every object (intents, charges, events); registered webhooks stay."""
        self.http.delete(f"{self.url}/_config/data", timeout=5).raise_for_status()

    def card_token(self, number="4242424242424242"):
        """What localstripe's fake Stripe.js does in the browser: a card token, made with the publishable key."""
        response = self.http.post(
            f"{self.url}/v1/tokens",
            data={
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2040",
                "card[cvc]": "123",
                "key": "pk_test_localstripe",
            },
            auth=None,
            timeout=5,
        )
        response.raise_for_status()
        return response.json()["card"]["id"]

    def register_webhook(self, url, *, secret, name="test"):
        """Stripe will POST signed events to ``url``, about a second after each happens."""
        response = self.http.post(f"{self.url}/_config/webhooks/{name}", data={"url": url, "secret": secret}, timeout=5)
        response.raise_for_status()
        self.delivering_to_a_server = url != DEAD_URL

    def forget_webhook(self, name="test"):
        # localstripe cannot delete a webhook: point it where nothing listens.
        self.register_webhook(DEAD_URL, secret="whsec_unused", name=name)

    def deliveries(self):
        """How many webhook deliveries localstripe has finished (delivered, refused or failed)."""
        return Path(self.log).read_text().count('webhook "')

    def settle(self, deliveries_before, seconds=30):
        """While a webhook points at a server, wait until every event made since ``deliveries_before``
        was counted has been delivered: one still on its way would reach a live server while the
        test's database is being flushed, and on SQLite break the flush (seen as "slug 'acme' already
        in use" in the next test). Each event is delivered to the one webhook, "test"."""
        if not self.delivering_to_a_server:
            return
        events = len(self.http.get(f"{self.url}/v1/events", params={"limit": 100}, timeout=5).json()["data"])
        deadline = time.monotonic() + seconds
        while self.deliveries() < deliveries_before + events and time.monotonic() < deadline:
            time.sleep(0.1)

    # What the customer's browser does through Stripe.js ------------------------------------

    def card(self, number):
        """A payment method for a card number, as Stripe.js would create it."""
        response = self.http.post(
            f"{self.url}/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": number,
                "card[exp_month]": 12,
                "card[exp_year]": 2040,
                "card[cvc]": 123,
            },
            timeout=5,
        )
        response.raise_for_status()
        return response.json()["id"]

    def card_from_stripe_js(self, number="4242424242424242"):
        """The ``card_...`` id that localstripe's fake Stripe.js ``createToken`` gives the page."""
        response = self.http.post(
            f"{self.url}/v1/tokens",
            data={"card[number]": number, "card[exp_month]": 12, "card[exp_year]": 2040, "card[cvc]": 123},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()["card"]["id"]

    def pay(self, intent_id, payment_method="pm_card_visa"):
        """Attach a card to the intent and confirm it. Returns (HTTP status, body): 402 for a declined card.

        localstripe answers ``confirm(payment_method=...)`` with 500, so the card is attached first.
        """
        attached = self.http.post(
            f"{self.url}/v1/payment_intents/{intent_id}", data={"payment_method": payment_method}, timeout=5
        )
        attached.raise_for_status()
        confirmed = self.http.post(f"{self.url}/v1/payment_intents/{intent_id}/confirm", timeout=5)
        return confirmed.status_code, confirmed.json()

    def authenticate(self, intent_id, client_secret, *, success=True):
        """The customer's answer to the bank's 3-D Secure check."""
        response = self.http.post(
            f"{self.url}/v1/payment_intents/{intent_id}/_authenticate?success={json.dumps(success)}",
            json={"key": "pk_test_localstripe", "client_secret": client_secret},
            timeout=5,
        )
        return response.status_code, response.json()

    # What the Stripe dashboard shows ---------------------------------------------------------

    def intent(self, intent_id):
        response = self.http.get(f"{self.url}/v1/payment_intents/{intent_id}", timeout=5)
        response.raise_for_status()
        return response.json()

    def refund(self, intent_id, amount_minor):
        response = self.http.post(
            f"{self.url}/v1/refunds", data={"payment_intent": intent_id, "amount": amount_minor}, timeout=5
        )
        response.raise_for_status()
        return response.json()

    def events(self, type=None):
        """Events localstripe recorded, newest first, as the plain data it would send."""
        response = self.http.get(f"{self.url}/v1/events", params={"type": type} if type else {}, timeout=5)
        response.raise_for_status()
        return response.json()["data"]
