"""The role matrix (see ``test_role_matrix``): one user, a role on each website."""

import pytest
from django.urls import reverse

from invoicing.models import Invoice

from .cases import invoice_url
from .conftest import OTHER, OWN
from .matrix import (
    describe,
    is_denied,
)
from .requests import API, api_call, bulk_url

pytestmark = pytest.mark.django_db


# -- a user with a role on each website -----------------------------------------------------------


@pytest.fixture
def two_hats(world):
    """The clerk of Acme who is also the manager of Globex."""
    from invoicing.core.roles import Role

    from .conftest import member

    return member("two-hats", (world.sites[OWN], Role.CLERK), (world.sites[OTHER], Role.MANAGER))


class TestTwoWebsites:
    def test_sees_the_invoices_of_both(self, client, world, two_hats):
        client.force_login(two_hats)
        body = client.get(reverse("wagtailsnippets_invoicing_invoice:list")).content.decode()
        assert world.open(OWN).number in body and world.open(OTHER).number in body

    def test_voids_globexs_invoice(self, client, world, two_hats):
        client.force_login(two_hats)
        client.post(invoice_url("void", world.open(OTHER)), {"reason": "Sent twice"})
        assert Invoice.objects.get(pk=world.open(OTHER).pk).status == "void"

    def test_is_refused_voiding_acmes(self, client, world, two_hats):
        invoice = world.open(OWN)
        client.force_login(two_hats)
        response = client.post(invoice_url("void", invoice), {"reason": "Sent twice"})
        assert is_denied(response), describe(response)
        assert Invoice.objects.get(pk=invoice.pk).status == "open"

    def test_the_void_button_shows_on_globexs_only(self, client, world, two_hats):
        acme, globex = world.open(OWN), world.open(OTHER)
        client.force_login(two_hats)
        assert invoice_url("void", acme) not in client.get(invoice_url("inspect", acme)).content.decode()
        assert invoice_url("void", globex) in client.get(invoice_url("inspect", globex)).content.decode()

    def test_bulk_void_voids_globexs_only(self, client, world, two_hats):
        acme, globex = world.open(OWN), world.open(OTHER)
        client.force_login(two_hats)
        client.post(bulk_url("void", [acme, globex]), {"reason": "Sent twice"})
        assert Invoice.objects.get(pk=acme.pk).status == "open"
        assert Invoice.objects.get(pk=globex.pk).status == "void"

    def test_the_api_voids_globexs_and_refuses_acmes(self, client, world, two_hats):
        acme, globex = world.open(OWN), world.open(OTHER)
        refused = api_call(client, two_hats, "post", f"{API}{acme.pk}/void/", {"reason": "Sent twice"})
        voided = api_call(client, two_hats, "post", f"{API}{globex.pk}/void/", {"reason": "Sent twice"})
        assert refused.status_code == 403 and Invoice.objects.get(pk=acme.pk).status == "open"
        assert voided.status_code == 200 and Invoice.objects.get(pk=globex.pk).status == "void"
