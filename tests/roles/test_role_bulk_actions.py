"""The role matrix (see ``test_role_matrix``): bulk actions over one invoice of each website."""

import pytest

from .cases import invoice_state
from .conftest import OTHER, OWN, SUPERUSER
from .matrix import (
    ROLES,
    describe,
    may,
)
from .requests import bulk_url, cases

pytestmark = pytest.mark.django_db


# -- bulk actions: one invoice of each website ----------------------------------------------------

BULK = {
    # action (of ``may``): (Wagtail's bulk action name, the invoices it takes, the form)
    "issue": ("issue", "draft", {}),
    "send_email": ("send_email", "open", {}),
    "mark_paid": ("mark_paid", "open", {"reason": "Transfer"}),
    "void": ("void", "open", {"reason": "Sent twice"}),
    "write_off": ("mark_uncollectible", "open", {"reason": "Bad debt"}),
}


@pytest.mark.parametrize(("role", "action"), cases(BULK, None, ROLES))
def test_bulk_action(client, world, role, action):
    """Another website's invoice is never touched; one's own changes only where the role may."""
    name, kind, data = BULK[action]
    own, other = getattr(world, kind)(OWN), getattr(world, kind)(OTHER)
    before = {OWN: invoice_state(own), OTHER: invoice_state(other)}
    client.force_login(world.user(role))

    response = client.post(bulk_url(name, [own, other]), data)

    assert response.status_code in (200, 302, 403, 404), describe(response)
    changed = {website: invoice_state(invoice) != before[website] for website, invoice in ((OWN, own), (OTHER, other))}
    assert changed[OTHER] == (role == SUPERUSER), "another website's invoice"
    assert changed[OWN] == may(role, action), "the own website's invoice"
