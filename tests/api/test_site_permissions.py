"""Roles per website over the API (issue #18): a permission counts on the websites of the group that
holds it. Pat is a Billing clerk of Acme (site A) and a Billing manager of Globex (site B), with the
roles' own permissions (``core.roles.ROLES``): Pat voids, writes off, credits and reads the figures
of Globex, not of Acme, where Pat may still create and send invoices. Seeing stays as it was:
another website's invoice is a 404, before any permission is asked."""

import pytest
import yaml

from invoicing.core.roles import ROLES, Role
from invoicing.models import Client, CreditNote, Invoice, InvoiceEvent
from invoicing.services.actions import ACTIONS
from tests.factories import ClientFactory, UserFactory, billing_group, open_invoice

from .conftest import API, TokenClient, invoice_url

pytestmark = pytest.mark.django_db

STATS = f"{API}stats/"
NOTES = "/api/v1/order-payments/credit-notes/"
CLIENTS = "/api/v1/order-payments/clients/"

# The actions that only a manager may take: (the invoice's URL action, body, success status, the
# permission they need as the admin names it).
MANAGER_ACTIONS = [
    ("void", {"reason": "Sent twice"}, 200, "Can void invoices"),
    ("mark_uncollectible", {"reason": "The client went bankrupt"}, 200, "Can write off invoices"),
    ("credit-notes", {"reason": "Returned goods"}, 201, "Can issue credit notes and refunds"),
]


def staff_with(username, *grants):
    """A staff user with one group per ``(site, role or permission names)`` grant."""
    user = UserFactory(username=username, is_staff=True)
    for site, granted in grants:
        names = ROLES[granted].permissions if isinstance(granted, Role) else granted
        user.groups.add(billing_group(site, name=f"{username} on {site.hostname}", permissions=names))
    return user


@pytest.fixture
def pat(client, site_a, site_b):
    """Clerk of Acme, manager of Globex."""
    return TokenClient(client, staff_with("pat", (site_a, Role.CLERK), (site_b, Role.MANAGER)))


@pytest.fixture
def clerk(client, site_a):
    """Clerk of Acme, and nothing else."""
    return TokenClient(client, staff_with("carla", (site_a, Role.CLERK)))


def state_of(invoice):
    """Everything that an action on ``invoice`` could change: its row, its events, its credit notes."""
    return (
        Invoice.objects.filter(pk=invoice.pk).values().get(),
        list(InvoiceEvent.objects.filter(invoice=invoice).values_list("pk", flat=True)),
        list(CreditNote.objects.filter(invoice=invoice).values_list("pk", flat=True)),
    )


@pytest.mark.parametrize(("action", "body", "success", "permission"), MANAGER_ACTIONS)
def test_a_managers_action_is_taken_on_the_managed_website_only(pat, site_a, site_b, action, body, success, permission):
    acme, _link = open_invoice(site_a)
    globex, _link = open_invoice(site_b)
    acme_before, globex_before = state_of(acme), state_of(globex)

    refused = pat.post(invoice_url(acme, action), body)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert f"“{permission}”" in refused.json()["detail"]  # what is missing, for people
    assert state_of(acme) == acme_before

    done = pat.post(invoice_url(globex, action), body)
    assert done.status_code == success, done.json()
    after = state_of(globex)
    assert after[0] != globex_before[0] and len(after[1]) > len(globex_before[1])  # changed, and recorded


def test_the_void_and_write_off_answers_are_the_invoice_as_it_now_is(pat, site_b):
    voided, _link = open_invoice(site_b)
    written_off, _link = open_invoice(site_b)
    assert pat.post(invoice_url(voided, "void"), {"reason": "Sent twice"}).json()["status"] == "void"
    assert pat.post(invoice_url(written_off, "mark_uncollectible")).json()["status"] == "uncollectible"
    assert Invoice.objects.get(pk=written_off.pk).status == "uncollectible"


def test_stats_count_only_the_websites_where_reports_are_allowed(pat, api, site_a, site_b):
    open_invoice(site_a)  # EUR
    open_invoice(site_b)  # USD
    assert [row["currency"] for row in pat.get(STATS).json()["currencies"]] == ["USD"]
    assert pat.get(STATS, {"website": site_a.pk}).json()["currencies"] == []
    # Acme's figures exist: the superuser counts them.
    assert [row["currency"] for row in api.get(STATS).json()["currencies"]] == ["EUR", "USD"]


def invoice_body(site, client):
    return {
        "website": site.pk,
        "client": client.pk,
        "title": "Consulting",
        "lines": [{"description": "Work", "quantity": "1", "unit_price": "100.00"}],
        "send_email": True,
    }


def test_a_clerk_creates_and_sends_invoices_on_the_clerks_website(pat, site_a):
    response = pat.post(API, invoice_body(site_a, ClientFactory(site=site_a)))
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "open"
    assert Invoice.objects.get(pk=response.json()["id"]).site == site_a


def test_creating_needs_the_add_permission_on_the_posted_website(client, site_a, site_b):
    # Sees Acme (may view its invoices) and creates Globex's: Acme's website is refused, by name.
    user = TokenClient(client, staff_with("vic", (site_a, ("view_invoice",)), (site_b, Role.CLERK)))
    refused = user.post(API, invoice_body(site_a, ClientFactory(site=site_a)))
    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["website"]
    assert "do not allow creating invoices" in refused.json()["detail"]
    assert not Invoice.objects.exists()
    assert user.post(API, invoice_body(site_b, ClientFactory(site=site_b))).status_code == 201


def test_adding_a_client_needs_the_add_permission_on_the_posted_website(client, site_a, site_b):
    user = TokenClient(client, staff_with("vic", (site_a, ("view_client",)), (site_b, Role.CLERK)))
    body = {"name": "Initech", "email": "billing@initech.example"}
    refused = user.post(CLIENTS, {**body, "website": site_a.pk})
    assert (refused.status_code, list(refused.json()["fields"])) == (400, ["website"])
    assert not Client.objects.exists()
    assert user.post(CLIENTS, {**body, "website": site_b.pk}).status_code == 201


def test_a_clerk_only_user_cannot_void_nor_read_stats_nor_see_another_website(clerk, site_a, site_b):
    acme, _link = open_invoice(site_a)
    globex, _link = open_invoice(site_b)
    before = state_of(acme)
    for action, body, _success, _permission in MANAGER_ACTIONS:
        assert clerk.post(invoice_url(acme, action), body).status_code == 403
    assert state_of(acme) == before
    assert clerk.get(STATS).status_code == 403
    # Globex's invoice is not there at all, whatever is asked of it.
    assert clerk.get(invoice_url(globex)).status_code == 404
    assert clerk.post(invoice_url(globex, "send_email")).status_code == 404
    assert clerk.get(invoice_url(globex, "pdf")).status_code == 404
    # What a clerk does do, on Acme.
    assert clerk.get(invoice_url(acme)).status_code == 200
    assert clerk.post(invoice_url(acme, "mark_paid"), {"reason": "Bank transfer"}).status_code == 201


@pytest.fixture
def acme_books(api, site_a):
    """An Acme invoice, its client and a credit note, made by the superuser."""
    invoice, _link = open_invoice(site_a)
    note = ACTIONS["credit_note"].run(invoice, reason="Partly returned", by=None)
    return {"invoices": invoice.pk, "credit-notes": note.pk, "clients": invoice.client_id}


def object_operations(api):
    """Every documented operation on one invoice, credit note or client: (method, path, kind)."""
    schema = yaml.safe_load(api.client.get("/api/v1/schema/").content)
    prefix = "/api/v1/order-payments/"
    return [
        (method, path, path.removeprefix(prefix).split("/")[0])
        for path, item in schema["paths"].items()
        if "{id}" in path
        for method in item
    ]


def test_every_object_operation_asks_the_permission_on_the_objects_website(client, api, site_a, site_b, acme_books):
    """A manager of Globex who may see Acme's billing and holds nothing there: every operation on
    one of Acme's objects, present and future (read from the schema), answers 403 and changes
    nothing; the model permissions held through Globex open no door on Acme."""
    user = TokenClient(client, staff_with("greta", (site_a, ()), (site_b, Role.MANAGER)))
    operations = object_operations(api)
    assert len(operations) >= 20 and {kind for _m, _p, kind in operations} == {"invoices", "credit-notes", "clients"}
    snapshot = [list(model.objects.values().order_by("pk")) for model in (Invoice, CreditNote, Client, InvoiceEvent)]
    for method, path, kind in operations:
        url = path.replace("{id}", str(acme_books[kind]))
        response = user.delete(url) if method == "delete" else getattr(user, method)(url, {})
        assert response.status_code == 403, f"{method.upper()} {url} answered {response.status_code}"
    assert snapshot == [
        list(model.objects.values().order_by("pk")) for model in (Invoice, CreditNote, Client, InvoiceEvent)
    ]


def test_the_same_reads_answer_on_the_managed_website(client, site_a, site_b):
    user = TokenClient(client, staff_with("greta", (site_a, ()), (site_b, Role.MANAGER)))
    invoice, _link = open_invoice(site_b)
    note = ACTIONS["credit_note"].run(invoice, reason="Partly returned", by=None)
    for url in (
        invoice_url(invoice),
        invoice_url(invoice, "pdf"),
        invoice_url(invoice, "credit-notes"),
        f"{NOTES}{note.pk}/",
        f"{NOTES}{note.pk}/pdf/",
        f"{CLIENTS}{invoice.client_id}/",
    ):
        assert user.get(url).status_code == 200, url
