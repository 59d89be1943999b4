"""The role matrix (see ``test_role_matrix``): the admin's listings, reports and exports."""

import pytest
from django.urls import reverse

from .conftest import OTHER, OWN, SUPERUSER
from .matrix import (
    EDITOR,
    REFUSED,
    ROLES,
    assert_refusal,
    describe,
    may,
)
from .requests import body_of, cases

pytestmark = pytest.mark.django_db


# -- the admin's listings, reports and exports ----------------------------------------------------


def _invoice_numbers(world):
    return world.open(OWN).number, world.open(OTHER).number


LISTINGS = {
    # name: (url, query, the permission's owner (an action of ``may``), markers of each website)
    "invoices": (
        lambda world: reverse("wagtailsnippets_invoicing_invoice:list"),
        {},
        "inspect",
        _invoice_numbers,
    ),
    "invoices_csv": (
        lambda world: reverse("wagtailsnippets_invoicing_invoice:list"),
        {"export": "csv"},
        "export",
        _invoice_numbers,
    ),
    "clients": (
        lambda world: reverse("wagtailsnippets_invoicing_client:list"),
        {},
        "client_inspect",
        lambda world: (world.client_of(OWN).name, world.client_of(OTHER).name),
    ),
    "invoice_add": (lambda world: reverse("wagtailsnippets_invoicing_invoice:add"), {}, "create_get", None),
    "credit_notes": (
        lambda world: reverse("wagtailsnippets_invoicing_creditnote:list"),
        {},
        "inspect",
        None,
    ),
    "payments_ledger": (
        lambda world: reverse("invoicing_payment_modeladmin_index"),
        {},
        "ledger_inspect",
        lambda world: (world.payment(OWN).invoice.number, world.payment(OTHER).invoice.number),
    ),
    "stripe_events": (
        lambda world: reverse("wagtailsnippets_invoicing_stripeevent:list"),
        {},
        "event_inspect",
        lambda world: (world.event(OWN).event_id, world.event(OTHER).event_id),
    ),
    "billing_report": (lambda world: reverse("invoicing_billing_report"), {}, "report", None),
    "billing_report_csv": (lambda world: reverse("invoicing_billing_report"), {"export": "csv"}, "report", None),
}


def is_csv(response):
    return response.status_code == 200 and response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(("role", "listing"), cases(LISTINGS, None, ROLES))
def test_admin_listing(client, world, role, listing):
    """Allowed: the page (or the CSV) with the own website's rows only (every website's for a
    superuser). Refused: a permission refusal (a 404 too for the marketing editor); an export
    refused may also answer the plain listing, but never the file."""
    url, query, action, markers = LISTINGS[listing]
    own_marker, other_marker = markers(world) if markers else (None, None)
    client.force_login(world.user(role))
    response = client.get(url(world), query)
    export = "export" in query
    if not may(role, action):
        if export and response.status_code == 200:
            assert not is_csv(response), "a refused export was delivered"
            assert other_marker is None or other_marker not in body_of(response)
            return
        assert_refusal(REFUSED if role == EDITOR else "deny", response)
        return
    assert is_csv(response) if export else response.status_code == 200, describe(response)
    body = body_of(response)
    if own_marker:
        assert own_marker in body
        assert (other_marker in body) == (role == SUPERUSER)
