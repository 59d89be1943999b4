"""The role matrix of issue #18: for each role (Billing clerk, Billing manager, Marketing editor,
and a superuser as the sanity row) × each door × the role's own website (Acme) and the other one
(Globex), the answer the rules give (``matrix``). A refusal always leaves everything as it was.
The superuser's row proves each case's request right: what it posts does change things.

This file: the admin, one object at a time."""

import pytest

from .cases import ADMIN_DOORS
from .matrix import (
    ALLOW,
    assert_refusal,
    describe,
    expected,
    is_denied,
)
from .requests import cases

pytestmark = pytest.mark.django_db


DOORS = {door.name: door for door in ADMIN_DOORS}

# -- the admin, one object at a time ------------------------------------------------------------


@pytest.mark.parametrize(("role", "action", "website"), cases(DOORS))
def test_admin_action(client, world, role, action, website):
    door = DOORS[action]
    url = door.url(world, website)
    data = door.data(world, website) if door.data else None
    before = door.state(world, website) if door.state else None
    client.force_login(world.user(role))
    outcome = expected(role, action, website, other=door.other)

    response = client.get(url) if data is None else client.post(url, data)

    if data is not None and door.state:
        after = door.state(world, website)
        if outcome == ALLOW:
            assert after != before, f"nothing changed ({describe(response)})"
            assert not is_denied(response) and response.status_code < 400, describe(response)
            return
        assert after == before, "a refused action changed something"
    elif outcome == ALLOW:
        assert door.check(response), f"expected the page, got {describe(response)}"
        return
    assert_refusal(outcome, response)
