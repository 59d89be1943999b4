"""The role matrix (see ``test_role_matrix``): the API, with a token."""

import pytest

from invoicing.models import CreditNote, Invoice, OutboundEmail

from .cases import invoice_state
from .conftest import OTHER, OWN, SUPERUSER
from .matrix import (
    ALLOW,
    EDITOR,
    NOT_FOUND,
    REFUSED,
    ROLES,
    describe,
    expected,
    may,
)
from .requests import API, api_call, cases

pytestmark = pytest.mark.django_db


# -- the API --------------------------------------------------------------------------------------


def _api_create(world, website):
    return {
        "website": world.sites[website].pk,
        "client": world.client_of(website).pk,
        "title": "Made by a role through the API",
        "lines": [{"description": "Work", "unit_price": "50.00"}],
    }


def _made_through_api(world, website):
    return Invoice.objects.filter(site=world.sites[website], title="Made by a role through the API").count()


API_DOORS = {
    # action (of ``may``): (method, path (world, website), body, state (world, website) or None)
    "inspect": ("get", lambda world, website: f"{API}{world.open(website).pk}/", None, None),
    "create_post": ("post", lambda world, website: API, _api_create, _made_through_api),
    "send_email": (
        "post",
        lambda world, website: f"{API}{world.open(website).pk}/send_email/",
        lambda world, website: {"kind": "invoice"},
        lambda world, website: OutboundEmail.objects.filter(invoice=world.open(website)).count(),
    ),
    "mark_paid": (
        "post",
        lambda world, website: f"{API}{world.open(website).pk}/mark_paid/",
        lambda world, website: {"reason": "Transfer"},
        lambda world, website: invoice_state(world.open(website)),
    ),
    "void": (
        "post",
        lambda world, website: f"{API}{world.open(website).pk}/void/",
        lambda world, website: {"reason": "Sent twice"},
        lambda world, website: invoice_state(world.open(website)),
    ),
    "credit_note": (
        "post",
        lambda world, website: f"{API}{world.open(website).pk}/credit-notes/",
        lambda world, website: {"reason": "Cancelled"},
        lambda world, website: CreditNote.objects.filter(invoice=world.open(website)).count(),
    ),
    "pdf": ("get", lambda world, website: f"{API}{world.open(website).pk}/pdf/", None, None),
}


def api_refusal(outcome, response):
    if outcome == "deny":
        assert response.status_code == 403, describe(response)
    elif outcome == NOT_FOUND:
        assert response.status_code == 404, describe(response)
    else:
        assert response.status_code in (403, 404), describe(response)


@pytest.mark.parametrize(("role", "action", "website"), cases(API_DOORS))
def test_api(client, world, role, action, website):
    """Own website: 200/201/202 where allowed, 403 where refused; another website's invoice: 404
    (creating there: refused, 400 included, as its website is not one to choose)."""
    method, path, body, state = API_DOORS[action]
    url = path(world, website)
    data = body(world, website) if body else None
    before = state(world, website) if state else None
    outcome = expected(role, action, website)
    if action == "create_post" and website == OTHER and role != SUPERUSER:
        outcome = REFUSED

    response = api_call(client, world.user(role), method, url, data)

    if state:
        after = state(world, website)
        if outcome == ALLOW:
            assert response.status_code in (200, 201, 202), describe(response)
            assert after != before
            return
        assert after == before, "a refused call changed something"
    elif outcome == ALLOW:
        assert response.status_code == 200, describe(response)
        return
    if action == "create_post" and outcome == REFUSED and role != EDITOR:
        assert response.status_code in (400, 403, 404), describe(response)
        return
    api_refusal(outcome, response)


@pytest.mark.parametrize("role", ROLES)
def test_api_list(client, world, role):
    own, other = world.open(OWN), world.open(OTHER)
    response = api_call(client, world.user(role), "get", API)
    if not may(role, "inspect"):
        assert response.status_code == 403, describe(response)
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert own.pk in ids and (other.pk in ids) == (role == SUPERUSER)


@pytest.mark.parametrize("role", ROLES)
def test_api_stats(client, world, role):
    response = api_call(client, world.user(role), "get", f"{API}stats/")
    assert response.status_code == (200 if may(role, "report") else 403), describe(response)
