"""The HTTP smoke test of the install test (tests/install/run.py), run by the new project's Python.

No pytest: plain requests against a ``runserver`` and localstripe on 127.0.0.1, every answer 2xx.
The admin logs in and lists invoices; a client is added through the admin's form; an invoice is
created and issued through the API (token from ``manage.py invoicing_api_token``); its pay page
opens; the card route starts a PaymentIntent as the page's JavaScript does; the card is confirmed on
localstripe as Stripe.js would; localstripe's signed webhook tells the site, and the API shows the
invoice paid. Then the API's list, schema and docs. Prints each step's time.

Settings come from the environment: SMOKE_SITE, SMOKE_LOCALSTRIPE, SMOKE_WEBHOOK_SECRET,
SMOKE_WEBHOOK_PATH, SMOKE_USERNAME, SMOKE_PASSWORD, SMOKE_TOKEN.
"""

import html
import os
import re
import sys
import time
from urllib.parse import urlsplit

import requests

SITE = os.environ["SMOKE_SITE"].rstrip("/")
LOCALSTRIPE = os.environ["SMOKE_LOCALSTRIPE"].rstrip("/")
TIMEOUT = 30
PAID_WITHIN_SECONDS = 30


class SmokeFailed(Exception):
    pass


def step(name):
    def wrap(function):
        def timed(*args, **kwargs):
            began = time.monotonic()
            print(f"--- {name}", flush=True)
            result = function(*args, **kwargs)
            print(f"    [{time.monotonic() - began:.2f}s] {name}", flush=True)
            return result

        return timed

    return wrap


def ok(response, what):
    """The response, if it and every redirect before it answered 2xx or 3xx and it ends in 2xx."""
    for hop in [*response.history, response]:
        print(f"    {hop.request.method} {urlsplit(hop.url).path} -> {hop.status_code}", flush=True)
    if not 200 <= response.status_code < 300:
        raise SmokeFailed(f"{what}: {response.status_code}\n{explain(response)}")
    return response


def explain(response):
    """The gist of an error answer: Django's debug page names the exception; else the start of the body."""
    found = re.search(r'<pre class="exception_value">(.*?)</pre>', response.text, re.S)
    title = re.search(r"<title>(.*?)</title>", response.text, re.S)
    if found:
        return ": ".join(" ".join(html.unescape(part.group(1)).split()) for part in (title, found) if part)
    return response.text[:3000]


def form_token(page):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise SmokeFailed("no CSRF token in the form")
    return match.group(1)


class Smoke:
    def __init__(self):
        self.browser = requests.Session()  # the admin's and the client's browser (cookies, CSRF)
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Token {os.environ['SMOKE_TOKEN']}"
        self.api.headers["Accept"] = "application/json"
        self.stripe = requests.Session()  # what Stripe.js and the Stripe dashboard do on localstripe
        self.stripe.auth = ("sk_test_localstripe", "")

    def admin_form(self, path, data, what):
        page = ok(self.browser.get(SITE + path, timeout=TIMEOUT), what).text
        response = ok(
            self.browser.post(
                SITE + path,
                data={"csrfmiddlewaretoken": form_token(page), **data},
                headers={"Referer": SITE + path},
                timeout=TIMEOUT,
            ),
            what,
        )
        return page, response

    @step("Log in to the Wagtail admin")
    def log_in(self):
        _, response = self.admin_form(
            "/admin/login/",
            {"username": os.environ["SMOKE_USERNAME"], "password": os.environ["SMOKE_PASSWORD"], "next": "/admin/"},
            "admin login",
        )
        if urlsplit(response.url).path != "/admin/":
            raise SmokeFailed(f"the login did not reach the dashboard but {response.url}")

    @step("The invoice listing in the admin (snippets)")
    def invoice_listing(self):
        ok(self.browser.get(f"{SITE}/admin/snippets/invoicing/invoice/", timeout=TIMEOUT), "invoice listing")

    @step("Add a client through the admin's form")
    def add_client(self):
        add = "/admin/snippets/invoicing/client/add/"
        page = ok(self.browser.get(SITE + add, timeout=TIMEOUT), "client form").text
        select = re.search(r'<select name="site"[^>]*>(.*?)</select>', page, re.S)
        sites = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select.group(1)) if select else []
        if len(sites) != 1:
            raise SmokeFailed(f"expected the fresh project's one website in the client form, found {sites}")
        site_id, site_name = sites[0]
        print(f"    website {site_id}: {html.unescape(site_name).strip()}")
        _, response = self.admin_form(
            add, {"site": site_id, "name": "Ada Lovelace", "email": "ada@example.com"}, "client creation"
        )
        if urlsplit(response.url).path == add:
            raise SmokeFailed(f"the client form was refused:\n{response.text[:3000]}")
        listing = ok(self.browser.get(f"{SITE}/admin/snippets/invoicing/client/", timeout=TIMEOUT), "clients").text
        clients = set(re.findall(r"/admin/snippets/invoicing/client/edit/(\d+)/", listing))
        if len(clients) != 1:
            raise SmokeFailed(f"expected one client in the listing, found {sorted(clients)}")
        return int(site_id), int(clients.pop())

    @step("Create and issue an invoice through the API")
    def create_invoice(self, site_id, client_id):
        response = ok(
            self.api.post(
                f"{SITE}/api/v1/order-payments/invoices/",
                json={
                    "website": site_id,
                    "client": client_id,
                    "title": "Install test",
                    "lines": [{"description": "Consulting", "quantity": "2", "unit_price": "60.00", "tax_rate": "0"}],
                    "issue": True,
                },
                timeout=TIMEOUT,
            ),
            "invoice creation",
        )
        invoice = response.json()
        if invoice["status"] != "open" or not invoice.get("payment_link"):
            raise SmokeFailed(f"the invoice was not issued with a pay link: {invoice}")
        print(f"    invoice {invoice['reference_id']}: {invoice['amount']} {invoice['currency']}, {invoice['status']}")
        return invoice

    @step("Open the pay page (the pay link)")
    def open_pay_page(self, invoice):
        # The link is built from the website's hostname (localhost); the server is on 127.0.0.1.
        path = urlsplit(invoice["payment_link"]["url"]).path
        page = ok(self.browser.get(SITE + path, timeout=TIMEOUT), "pay page").text
        if 'id="card-form"' not in page:
            raise SmokeFailed("the pay page has no card form")
        return path, page

    @step("Start a card payment (POST the card route, as pay.js does)")
    def start_card_payment(self, path, page):
        response = ok(
            self.browser.post(
                f"{SITE}{path}card/",
                data={"csrfmiddlewaretoken": form_token(page), "amount_choice": "full"},
                headers={"Accept": "application/json", "Referer": SITE + path},
                timeout=TIMEOUT,
            ),
            "card payment start",
        )
        checkout = response.json()
        for key in ("intent_id", "client_secret", "publishable_key"):
            if not checkout.get(key):
                raise SmokeFailed(f"the card route's answer has no {key}: {checkout}")
        print(f"    {checkout['intent_id']} for {checkout['amount']}")
        return checkout

    @step("Register localstripe's webhook to the site")
    def register_webhook(self):
        ok(
            self.stripe.post(
                f"{LOCALSTRIPE}/_config/webhooks/install-test",
                data={"url": SITE + os.environ["SMOKE_WEBHOOK_PATH"], "secret": os.environ["SMOKE_WEBHOOK_SECRET"]},
                timeout=TIMEOUT,
            ),
            "webhook registration",
        )

    @step("Pay with pm_card_visa on localstripe (what Stripe.js does)")
    def pay(self, checkout):
        intent = checkout["intent_id"]
        # localstripe cannot confirm with a payment method given: the card is attached first.
        ok(
            self.stripe.post(
                f"{LOCALSTRIPE}/v1/payment_intents/{intent}", data={"payment_method": "pm_card_visa"}, timeout=TIMEOUT
            ),
            "card attached",
        )
        confirmed = ok(
            self.stripe.post(f"{LOCALSTRIPE}/v1/payment_intents/{intent}/confirm", timeout=TIMEOUT), "confirmation"
        ).json()
        if confirmed["status"] != "succeeded":
            raise SmokeFailed(f"the PaymentIntent is {confirmed['status']}, not succeeded")

    @step("The webhook marks the invoice paid (polling the API)")
    def wait_until_paid(self, invoice):
        deadline = time.monotonic() + PAID_WITHIN_SECONDS
        url = f"{SITE}/api/v1/order-payments/invoices/{invoice['id']}/"
        while True:
            current = ok(self.api.get(url, timeout=TIMEOUT), "invoice").json()
            if current["status"] == "paid":
                payment = current["payment"]
                print(f"    paid: {payment['amount']} {payment['currency']} by {payment['method']}")
                return
            if time.monotonic() > deadline:
                raise SmokeFailed(f"not paid {PAID_WITHIN_SECONDS} s after the card payment: {current['status']}")
            time.sleep(0.5)

    @step("The API's invoice list")
    def invoice_list(self):
        listing = ok(self.api.get(f"{SITE}/api/v1/order-payments/invoices/", timeout=TIMEOUT), "invoice list").json()
        if listing["count"] != 1 or listing["results"][0]["status"] != "paid":
            raise SmokeFailed(f"expected one paid invoice: {listing}")

    @step("The API's schema and docs")
    def schema(self):
        schema = ok(self.api.get(f"{SITE}/api/v1/schema/", headers={"Accept": "*/*"}, timeout=TIMEOUT), "schema")
        if "/api/v1/order-payments/invoices/" not in schema.text:
            raise SmokeFailed("the schema does not describe the invoice endpoints")
        ok(self.browser.get(f"{SITE}/api/v1/docs/", timeout=TIMEOUT), "API docs")


def main():
    began = time.monotonic()
    smoke = Smoke()
    smoke.log_in()
    smoke.invoice_listing()
    site_id, client_id = smoke.add_client()
    invoice = smoke.create_invoice(site_id, client_id)
    path, page = smoke.open_pay_page(invoice)
    checkout = smoke.start_card_payment(path, page)
    smoke.register_webhook()
    smoke.pay(checkout)
    smoke.wait_until_paid(invoice)
    smoke.invoice_list()
    smoke.schema()
    print(f"Smoke test passed in {time.monotonic() - began:.1f}s")


if __name__ == "__main__":
    try:
        main()
    except (SmokeFailed, requests.RequestException) as failure:
        print(f"Smoke test FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
