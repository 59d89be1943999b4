"""The role matrix (see ``test_role_matrix``): buttons and menu items hidden where refused."""

import pytest
from django.urls import reverse

from .cases import invoice_url
from .conftest import OWN, SUPERUSER
from .matrix import (
    CLERK,
    MANAGER,
    ROLES,
    may,
)
from .requests import cases

pytestmark = pytest.mark.django_db


# -- buttons: hidden where the action is refused ---------------------------------------------------

BUTTONS = {
    # action (of ``may``): (the URL name of its view, the invoice it applies to)
    "issue": ("issue", "draft"),
    "edit_get": ("edit", "draft"),
    "delete_draft": ("delete", "draft"),
    "send_email": ("send_email", "open"),
    "mark_paid": ("mark_paid", "open"),
    "rotate_link": ("rotate_link", "open"),
    "revoke_link": ("revoke_link", "open"),
    "void": ("void", "open"),
    "write_off": ("mark_uncollectible", "open"),
    "credit_note": ("credit_note", "open"),
    "pdf": ("pdf", "open"),
}
BUTTON_ROLES = [CLERK, MANAGER, SUPERUSER]


@pytest.mark.parametrize(("role", "action"), cases(BUTTONS, None, BUTTON_ROLES))
def test_inspect_button(client, world, role, action):
    url_name, kind = BUTTONS[action]
    invoice = getattr(world, kind)(OWN)
    client.force_login(world.user(role))
    response = client.get(invoice_url("inspect", invoice))
    assert response.status_code == 200
    assert (invoice_url(url_name, invoice) in response.content.decode()) == may(role, action)


@pytest.mark.parametrize(("role", "action"), cases(BUTTONS, None, BUTTON_ROLES))
def test_listing_button(client, world, role, action):
    url_name, kind = BUTTONS[action]
    invoice = getattr(world, kind)(OWN)
    client.force_login(world.user(role))
    body = client.get(reverse("wagtailsnippets_invoicing_invoice:list")).content.decode()
    assert (invoice_url(url_name, invoice) in body) == may(role, action)


@pytest.mark.parametrize("role", BUTTON_ROLES)
def test_export_buttons(client, world, role):
    world.open(OWN)
    client.force_login(world.user(role))
    body = client.get(reverse("wagtailsnippets_invoicing_invoice:list")).content.decode()
    assert ("export=csv" in body) == may(role, "export")


@pytest.mark.parametrize("role", [MANAGER, SUPERUSER])
def test_replay_button(client, world, role):
    event = world.event(OWN)
    client.force_login(world.user(role))
    replay = reverse("wagtailsnippets_invoicing_stripeevent:replay", args=[event.pk])
    inspect = client.get(reverse("wagtailsnippets_invoicing_stripeevent:inspect", args=[event.pk]))
    listing = client.get(reverse("wagtailsnippets_invoicing_stripeevent:list"))
    assert replay in inspect.content.decode() and replay in listing.content.decode()


MENU = {
    # action (of ``may``): the admin URL its menu item links to
    "inspect": lambda: reverse("wagtailsnippets_invoicing_invoice:list"),
    "client_inspect": lambda: reverse("wagtailsnippets_invoicing_client:list"),
    "ledger_inspect": lambda: reverse("invoicing_payment_modeladmin_index"),
    "event_inspect": lambda: reverse("wagtailsnippets_invoicing_stripeevent:list"),
    "report": lambda: reverse("invoicing_billing_report"),
}


@pytest.mark.parametrize(("role", "action"), cases(MENU, None, ROLES))
def test_menu_item(client, world, role, action):
    client.force_login(world.user(role))
    home = client.get(reverse("wagtailadmin_home"))
    assert home.status_code == 200
    assert (f'"{MENU[action]()}"' in home.content.decode()) == may(role, action)
