"""Browser tests: Playwright driving Debian's Chromium (no browser can be downloaded here)."""

import os
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from invoicing.services.invoices import void_invoice
from invoicing.services.payments import record_manual_payment
from tests.factories import ClientFactory, line, make_website, open_invoice

# `make test` installs Debian's chromium package.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# -- Artifacts: screenshots and downloads the browser tests keep for people to look at ------------------

# tests/e2e/artifacts/ (git ignores it) unless E2E_ARTIFACTS_DIR names another folder, e.g. CI's.
ARTIFACTS_DIR = Path(os.environ.get("E2E_ARTIFACTS_DIR") or Path(__file__).parent / "artifacts")


@pytest.fixture
def artifact_path(request):
    """``artifact_path("name.png")``: where to save an artifact. The path is printed with the
    test's output and listed at the end of the run (through ``user_properties``, so under xdist too)."""

    def path_for(name):
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS_DIR / name
        request.node.user_properties.append(("e2e artifact", str(path)))
        print(f"e2e artifact: {path}")
        return path

    return path_for


def pytest_terminal_summary(terminalreporter):
    saved = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "e2e artifact"
    ]
    if saved:
        terminalreporter.section("browser test artifacts")
        for path in dict.fromkeys(saved):
            terminalreporter.write_line(path)


# -- A client's billing account, with invoices in every state, beside other people's ----------------------


@pytest.fixture
def websites(live_server):
    """Two websites on the live server. *.localhost resolves to 127.0.0.1 in Chromium, so each
    gets its own host name, and so its own cookies."""
    port = urlsplit(live_server.url).port
    return SimpleNamespace(
        a=make_website("acme.localhost", port=port, prefix="ACME"),
        b=make_website("globex.localhost", port=port, prefix="GLX"),
    )


@pytest.fixture
def billing_account(websites, empty_cache):
    """Jane, a client of website A with an open, a partly paid, a paid and a voided invoice; an
    invoice of another client of A; and an invoice of Jane's own client record on website B (the
    same address, another website's billing)."""
    a, b = websites.a, websites.b
    jane = ClientFactory(site=a, name="Jane Doe", email="jane@example.com")
    open_, open_link = open_invoice(a, client=jane, title="Website care", lines=[line("Hosting", "1", "100.00", "19")])
    partly_paid, _ = open_invoice(
        a,
        client=jane,
        title="Redesign of the online shop",
        lines=[line("Design and build of the new shop, with the product import", "1", "12500.00", "19")],
    )
    record_manual_payment(partly_paid, reason="Bank transfer", by=None, amount=Decimal("875.00"))
    paid, paid_link = open_invoice(a, client=jane, title="Domain names", lines=[line("Domains", "4", "20.00")])
    record_manual_payment(paid, reason="Bank transfer", by=None)
    void, _ = open_invoice(a, client=jane, title="Cancelled workshop", lines=[line("Workshop", "1", "30.00")])
    void_invoice(void, reason="Cancelled by the client")
    someone_else = ClientFactory(site=a, name="John Roe", email="john@example.com")
    not_hers, _ = open_invoice(a, client=someone_else, title="John's retainer")
    jane_on_b = ClientFactory(site=b, name="Jane Doe", email="jane@example.com")
    on_b, _ = open_invoice(b, client=jane_on_b, title="Globex consulting")
    for invoice in (open_, partly_paid, paid, void):
        invoice.refresh_from_db()
    return SimpleNamespace(
        site=a,
        client=jane,
        open=open_,
        open_link=open_link,
        partly_paid=partly_paid,
        paid=paid,
        paid_link=paid_link,
        void=void,
        hers=[open_, partly_paid, paid, void],
        not_hers=not_hers,
        on_other_website=on_b,
        account_url=f"{a.root_url}/account/",
    )
