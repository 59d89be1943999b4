"""How the invoice listing scales: ``make bench`` (or ``.venv/bin/python -m bench.admin_listing``).

Seeds a throwaway SQLite database with bulk inserts, then times page 1 of the Wagtail admin's
invoice listing through Django's test client (the whole request: middleware, queries, templates),
first with 10 invoices, then with 10,000. Prints both medians, the ratio and the SQL query counts.

The issue's goal: 10,000 invoices cost at most 1.5x what 10 do. Nothing in the listing may be
O(n) in Python; the paginator's COUNT(*) is the only part of the work that grows with the table.
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bench.results import Row

RUNS, WARM_UP = 20, 3  # 30 and 5 before make bench ran every benchmark in one go (10 minutes at most)
GOAL_RATIO = 1.5
SMALL, LARGE = 10, 10_000
CLIENTS = 200


def configure(database: Path):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings.test")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def seed(count: int, start: int, site, clients, user):
    """``count`` invoices in a few bulk inserts: open ones with numbers, drafts, paid and overdue
    ones, and an email for every other one (the listing shows the latest email's status)."""
    from django.utils import timezone

    from invoicing.models import Invoice, OutboundEmail

    today, now = timezone.localdate(), timezone.now()
    statuses = ("open", "open", "paid", "draft", "void")
    invoices = []
    for n in range(start, start + count):
        status = statuses[n % len(statuses)]
        total = Decimal(100 + n % 900) + Decimal(n % 100) / 100
        invoices.append(
            Invoice(
                site=site,
                client=clients[n % len(clients)],
                issued_by=user,
                title=f"Services, batch {n}",
                currency="EUR",
                due_date=today + timedelta(days=n % 60 - 30),
                status=status,
                number="" if status == "draft" else f"ACME-2026-{n:06d}",
                subtotal=total,
                total=total,
                amount_paid=total if status == "paid" else Decimal(0),
                issued_at=None if status == "draft" else now,
            )
        )
    invoices = Invoice.objects.bulk_create(invoices, batch_size=2000)
    OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                invoice=invoice,
                kind="invoice",
                to_email="client@example.com",
                from_email="billing@acme.example",
                subject=f"Invoice {invoice.number}",
                html_body="",
                text_body="",
                status="sent",
            )
            for invoice in invoices[::2]
            if invoice.number
        ],
        batch_size=2000,
    )


def time_listing(client, url) -> tuple[float, int]:
    """The median time of GET ``url`` in ms, and the number of SQL queries one GET runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(samples), len(queries.captured_queries)


def run() -> list[Row]:
    """Measures, prints the details and returns the row of ``make bench``'s table."""
    load = os.getloadavg()[0]  # other work on the machine skews every number below
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        configure(Path(folder) / "bench.sqlite3")
        from django.contrib.auth import get_user_model
        from django.test import Client as TestClient
        from django.urls import reverse
        from wagtail.models import Site

        from invoicing.models import Client

        site = Site.objects.get(is_default_site=True)
        user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
        clients = Client.objects.bulk_create(
            [Client(site=site, name=f"Client {n}", email=f"client{n}@example.com") for n in range(CLIENTS)]
        )
        browser = TestClient()
        browser.force_login(user)
        url = reverse("wagtailsnippets_invoicing_invoice:list")
        setup_s = time.perf_counter() - start

        seed(SMALL, 0, site, clients, user)
        small_ms, small_queries = time_listing(browser, url)
        start = time.perf_counter()
        seed(LARGE - SMALL, SMALL, site, clients, user)
        seed_s = time.perf_counter() - start
        large_ms, large_queries = time_listing(browser, url)

    ratio = large_ms / small_ms
    print(
        f"Admin listing benchmark: page 1 of the invoice listing (20 rows), SQLite, Django's test client, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.2f} before the run"
    )
    details = [
        ("setup (migrate a new database)", f"{setup_s:.1f} s"),
        (f"seeding {LARGE - SMALL:,} invoices with bulk inserts", f"{seed_s:.1f} s"),
        (f"{SMALL:,} invoices, median of {RUNS}", f"{small_ms:.1f} ms, {small_queries} SQL queries"),
        (f"{LARGE:,} invoices, median of {RUNS}", f"{large_ms:.1f} ms, {large_queries} SQL queries"),
        ("ratio", f"{ratio:.2f}x"),
    ]
    for label, value in details:
        print(f"  {label:<62} {value}")
    met = ratio <= GOAL_RATIO and small_queries == large_queries
    print(
        f"  goal: {LARGE:,} invoices in <= {GOAL_RATIO}x the time of {SMALL}, with the same queries: "
        f"{'met' if met else 'MISSED'}"
    )
    return [
        Row(
            operation=f"admin invoice listing, page 1, {LARGE:,} invoices (reference: {SMALL}), median of {RUNS}",
            ours=large_ms,
            reference=small_ms,
            ratio=ratio,
            goal=f"<= {GOAL_RATIO}x, the same queries",
            met=met,
            notes=f"SQLite, Django's test client; {large_queries} SQL queries ({small_queries} with {SMALL})",
        )
    ]


if __name__ == "__main__":
    run()
