"""What the cluster test (``tests/cluster``) and the benchmarks (``bench/webhook_storm.py``,
``bench/bulk_send.py``) do to a ``tests.stack.Stack``, written once.

Two kinds of functions live here:

- run *inside* a Django process of the stack, by name (``Stack(seed="tests.cluster.scenarios:...")``
  or ``stack.call("tests.cluster.scenarios:...")``): the seeding and the tallies read from the
  database. They import Django things inside, since this module is imported before Django is set up;
- run in the caller's process, over HTTP: the webhook storm, the admin's bulk send, the rate-limit probe.
"""

import json
import secrets
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from tests.localstripe import LocalStripe, stripe_signature

WEBHOOK_PATH = "/api/v1/order-payments/webhooks/stripe/"
PAY_HOST = "storm.test"  # the website whose invoices are paid by card
BULK_HOST = "bulk.test"  # the website whose invoices are emailed in bulk
SEED_THREADS = 4


# Inside the stack: seeding -----------------------------------------------------------------------


def _website(hostname, prefix):
    from tests.factories import make_website

    return make_website(hostname, prefix=prefix)


def _invoices(site, count, label, *, issued):
    """``count`` invoices of one line each, one client (and address) each, in a few bulk inserts:
    what the benchmarks measure is the services' path, not the seeding. Drafts, or open invoices as
    ``issue_invoice`` leaves them (number, client snapshot) but without a pay link, which paying
    through ``start_card_payment`` does not need, and sending opens anew."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from invoicing.models import Client, Invoice, InvoiceLine

    clients = Client.objects.bulk_create(
        Client(
            site=site, name=f"{label.title()} client {n}", email=f"{label}{n}@example.com", billing_address="1 Main St"
        )
        for n in range(count)
    )
    now = timezone.now()
    invoices = []
    for n, client in enumerate(clients):
        # Amounts differ, so that a payment counted against the wrong invoice would show.
        amount = Decimal(100 + n) + Decimal(n % 100) / 100
        invoice = Invoice(
            site=site, client=client, title=f"Services {n}", currency="EUR", due_date=now.date() + timedelta(days=14),
            status="draft", subtotal=amount, tax=Decimal(0), total=amount, amount_paid=Decimal(0),
        )  # fmt: skip
        if issued:
            invoice.status, invoice.number, invoice.issued_at = "open", f"{label.upper()}-{n + 1:05}", now
            invoice.billing_name, invoice.billing_email = client.name, client.email
            invoice.billing_address = client.billing_address
        invoices.append(invoice)
    invoices = Invoice.objects.bulk_create(invoices, batch_size=500)
    InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                invoice=invoice, sort_order=0, description="Work", quantity=Decimal(1), unit_price=invoice.total
            )
            for invoice in invoices
        ),
        batch_size=500,
    )
    return invoices


def _in_threads(work, items):
    """``work(item)`` for each item on a few threads, each with its own database connection."""
    from django.db import connection

    def run(item):
        try:
            return work(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(SEED_THREADS) as pool:
        return list(pool.map(run, items))


def _localstripe():
    from django.conf import settings

    stripe = LocalStripe(None, urlsplit(settings.STRIPE_API_BASE).port, None)
    stripe.http.auth = (settings.STRIPE_SECRET_KEY, "")
    return stripe


def seed_paid_intents(count):
    """``count`` open invoices on ``PAY_HOST``, each with a PaymentIntent started as the pay page
    starts one (``start_card_payment``) and paid at localstripe, as a client's card would. Nothing
    is counted yet: that is the webhook's job. Returns the invoice ids and, for each, localstripe's
    own ``payment_intent.succeeded`` event, unsigned."""
    from invoicing.services.checkout import start_card_payment

    invoices = _invoices(_website(PAY_HOST, "PAY"), count, "payer", issued=True)
    stripe = _localstripe()

    def pay(invoice):
        intent_id = start_card_payment(invoice).intent_id
        status, body = stripe.pay(intent_id)
        if status != 200 or body["status"] != "succeeded":
            raise RuntimeError(f"localstripe did not take the payment of {intent_id}: {status} {body}")
        return intent_id

    intents = _in_threads(pay, invoices)
    response = stripe.http.get(
        f"{stripe.url}/v1/events", params={"type": "payment_intent.succeeded", "limit": 100_000}, timeout=30
    )
    response.raise_for_status()
    events = {event["data"]["object"]["id"]: event for event in response.json()["data"]}
    return {"invoices": [invoice.pk for invoice in invoices], "events": [events[intent] for intent in intents]}


def seed_drafts(count):
    """``count`` drafts on ``BULK_HOST``, one client (and address) each; returns their ids."""
    return [invoice.pk for invoice in _invoices(_website(BULK_HOST, "BLK"), count, "bulk", issued=False)]


def seed_cluster(paid, drafts):
    return {"paid": seed_paid_intents(paid), "drafts": seed_drafts(drafts)}


# Inside the stack: what the database says ------------------------------------------------------


def _per_invoice(queryset, invoice_ids):
    """How many rows each invoice has, for every invoice of ``invoice_ids`` (zero included)."""
    counts = dict.fromkeys(invoice_ids, 0)
    for invoice_id in queryset.filter(invoice_id__in=invoice_ids).values_list("invoice_id", flat=True):
        counts[invoice_id] += 1
    return counts


def _not_once(counts):
    """The invoices whose count is not exactly one, as {invoice id: count}."""
    return {str(invoice_id): count for invoice_id, count in counts.items() if count != 1}


def tally_payments(invoice_ids):
    """Payments, receipts and Stripe events of the card-paid invoices."""
    from django.db.models import Count

    from invoicing.models import Invoice, OutboundEmail, Payment, StripeEvent

    receipts = OutboundEmail.objects.filter(kind="receipt")
    return {
        "paid_invoices": Invoice.objects.filter(pk__in=invoice_ids, status="paid").count(),
        "payments": Payment.objects.filter(invoice_id__in=invoice_ids).count(),
        "payments_not_once": _not_once(_per_invoice(Payment.objects.all(), invoice_ids)),
        "receipts": receipts.filter(invoice_id__in=invoice_ids).count(),
        "receipts_not_once": _not_once(_per_invoice(receipts, invoice_ids)),
        "receipts_sent": receipts.filter(invoice_id__in=invoice_ids, status="sent").count(),
        "events": StripeEvent.objects.count(),
        "events_by_status": dict(StripeEvent.objects.values_list("status").annotate(n=Count("pk"))),
        "events_applied_more_than_once": StripeEvent.objects.filter(attempts__gt=1).count(),
    }


def tally_emails(invoice_ids):
    """The invoice emails of the bulk-sent invoices, the bulk job, and which workers sent them."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from invoicing.models import BulkJob, EmailAttempt, OutboundEmail

    emails = OutboundEmail.objects.filter(kind="invoice")
    job = BulkJob.objects.order_by("-pk").first()
    deliveries = DBTaskResult.objects.filter(task_path__endswith=".deliver_email")
    workers = {}
    for worker_ids in deliveries.values_list("worker_ids", flat=True):
        for worker_id in worker_ids:
            workers[worker_id] = workers.get(worker_id, 0) + 1
    return {
        "emails": emails.filter(invoice_id__in=invoice_ids).count(),
        "emails_not_once": _not_once(_per_invoice(emails, invoice_ids)),
        "emails_by_status": dict(
            emails.filter(invoice_id__in=invoice_ids).values_list("status").annotate(n=Count("pk"))
        ),
        "attempts": EmailAttempt.objects.filter(email__kind="invoice", email__invoice_id__in=invoice_ids).count(),
        "job": job and {"status": job.status, "succeeded": job.succeeded, "failed": job.failed, "total": job.total},
        # How long the job took to issue and queue the emails (a worker does it, invoice by invoice).
        "job_seconds": job
        and job.finished_at
        and job.started_at
        and (job.finished_at - job.started_at).total_seconds(),
        "deliveries_by_worker": workers,
    }


def deliver_again(invoice_ids, seconds=120):
    """Once the latest bulk job has queued its emails, a second delivery task for each of them, as
    when the retry sweep and the first task, or a task enqueued twice, meet: some are sent by then,
    some waiting, some being sent, and each must still go out once. Returns how many were queued."""
    from invoicing.models import BulkJob, OutboundEmail
    from invoicing.services.delivery import schedule_delivery

    deadline = time.monotonic() + seconds
    while BulkJob.objects.order_by("-pk").values_list("status", flat=True).first() != "done":
        if time.monotonic() > deadline:
            raise RuntimeError("the bulk job did not finish in time")
        time.sleep(0.2)
    emails = list(OutboundEmail.objects.filter(kind="invoice", invoice_id__in=invoice_ids).values_list("pk", flat=True))
    for email_id in emails:
        schedule_delivery(email_id)
    return len(emails)


def tally_cluster(paid_invoice_ids, sent_invoice_ids):
    """Both tallies in one process (each call starts Django: seconds on a busy machine)."""
    return {"payments": tally_payments(paid_invoice_ids), "emails": tally_emails(sent_invoice_ids)}


# From outside: HTTP ----------------------------------------------------------------------------


@dataclass
class Storm:
    """What a storm of webhook deliveries got back."""

    statuses: list = field(default_factory=list)
    latencies_ms: list = field(default_factory=list)
    seconds: float = 0.0
    by_host: dict = field(default_factory=dict)

    @property
    def server_errors(self):
        return [status for status in self.statuses if status >= 500]

    @property
    def throughput(self):
        return len(self.statuses) / self.seconds

    def percentile(self, fraction):
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def deliveries(events, copies=2):
    """Each event ``copies`` times, the copies next to each other: sent round-robin to the hosts by
    concurrent threads, the copies of one event reach different hosts at the same moment."""
    return [event for event in events for _copy in range(copies)]


def webhook_storm(urls, events, *, secret, threads=16):
    """POST each event (signed now with ``secret``, as Stripe signs) to the hosts in turn, from
    ``threads`` threads at once. Returns a ``Storm``."""
    storm = Storm(by_host=dict.fromkeys(urls, 0))
    lock = threading.Lock()
    local = threading.local()

    def deliver(numbered):
        number, event = numbered
        url = urls[number % len(urls)]
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body = json.dumps(event).encode()
        headers = {"Content-Type": "application/json", "Stripe-Signature": stripe_signature(body, secret)}
        started = time.perf_counter()
        try:
            status = session.post(url + WEBHOOK_PATH, data=body, headers=headers, timeout=60).status_code
        except requests.RequestException:
            status = 599  # no answer at all counts as a server error
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            storm.statuses.append(status)
            storm.latencies_ms.append(elapsed)
            storm.by_host[url] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(deliver, enumerate(events)))
    storm.seconds = time.perf_counter() - started
    return storm


def bulk_send(stack, invoice_ids=None, *, url=None):
    """The admin's bulk action "Send by email", posted through a logged-in session as a person's
    browser would: ``invoice_ids``, or every invoice the admin sees (Wagtail's "select all", whose
    URL stays short however many there are). Returns (seconds the POST took, the job's URL)."""
    url = url or stack.url
    session = stack.admin_session(url)
    selection = "id=all" if invoice_ids is None else "&".join(f"id={pk}" for pk in invoice_ids)
    action = f"{url}/admin/bulk/invoicing/invoice/send_email/?{selection}&next=/admin/"
    started = time.perf_counter()
    response = session.post(action, data={"csrfmiddlewaretoken": session.csrf_token}, allow_redirects=False, timeout=60)
    seconds = time.perf_counter() - started
    if response.status_code != 302 or "/jobs/" not in response.headers.get("Location", ""):
        raise AssertionError(f"the bulk action answered {response.status_code}: {response.text[:500]}")
    return seconds, response.headers["Location"]


def probe_rate_limit(urls, requests_count, *, host=PAY_HOST):
    """GET pay links with made-up tokens (each counts against the client IP's limit, and each
    token only once) from one client, round-robin over the hosts. Returns the statuses in order.
    Waits first if the one-minute window is about to end, so that all of them fall in one."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    session = requests.Session()
    statuses = []
    for number in range(requests_count):
        token = f"INV-{secrets.token_urlsafe(24)}"
        response = session.get(
            f"{urls[number % len(urls)]}/pay/invoice/{token}/",
            headers={"Host": host},
            timeout=30,
            allow_redirects=False,
        )
        statuses.append(response.status_code)
    return statuses


def summary(storm):
    return {
        "deliveries": len(storm.statuses),
        "seconds": round(storm.seconds, 2),
        "per_second": round(storm.throughput, 1),
        "p50_ms": round(statistics.median(storm.latencies_ms), 1),
        "p99_ms": round(storm.percentile(0.99), 1),
        "server_errors": len(storm.server_errors),
    }
