"""The client's saved card in the admin: shown on the client's page, removed by those who may
change clients, on their own websites only; the invoice's page shows its automatic charge."""

import pytest
from django.urls import reverse

from invoicing.models import AutoCharge, SavedCard
from invoicing.services.saved_cards import save_card
from tests.factories import ACCESS_ADMIN, ClientFactory, billing_staff, open_invoice

pytestmark = pytest.mark.django_db

INSPECT_URL = "wagtailsnippets_invoicing_client:inspect"
REMOVE_URL = "wagtailsnippets_invoicing_client:remove_saved_card"


@pytest.fixture
def card(site_a, stripe_server):
    client = ClientFactory(site=site_a)
    card = save_card(client, stripe_server.card("4242424242424242"))
    invoice, _link = open_invoice(site_a, client=client)
    AutoCharge.objects.create(invoice=invoice, saved_card=card, attempts=1, last_error="Your card was declined.")
    return card


def test_the_client_page_shows_the_card_and_an_admin_removes_it(client, admin_user, card):
    client.force_login(admin_user)
    page = client.get(reverse(INSPECT_URL, args=[card.client_id])).content.decode()
    assert "Visa •••• 4242" in page and "12/2040" in page and "Remove saved card" in page

    response = client.post(reverse(REMOVE_URL, args=[card.client_id]))

    assert response.status_code == 302
    card.refresh_from_db()
    assert (card.removed_by, card.removed_by_user) == (SavedCard.RemovedBy.ADMIN, admin_user)
    assert card.charges.get().status == AutoCharge.Status.CANCELED
    page = client.get(reverse(INSPECT_URL, args=[card.client_id])).content.decode()
    assert "No saved card" in page


def test_the_invoice_page_shows_its_automatic_charge(client, admin_user, card):
    client.force_login(admin_user)
    auto_charge = card.charges.get()
    page = client.get(reverse("wagtailsnippets_invoicing_invoice:inspect", args=[auto_charge.invoice_id]))
    body = page.content.decode()
    assert "data-auto-charge" in body and "Scheduled" in body and "last error: Your card was declined." in body


def test_removing_needs_the_change_permission_and_the_website(client, site_b, card, acme_viewer):
    client.force_login(acme_viewer)
    assert "Remove saved card" not in client.get(reverse(INSPECT_URL, args=[card.client_id])).content.decode()
    assert client.post(reverse(REMOVE_URL, args=[card.client_id])).status_code in (302, 403)  # refused either way
    card.refresh_from_db()
    assert card.removed_at is None

    other_site_clerk = billing_staff(
        site_b, username="other-clerk", permissions=(ACCESS_ADMIN, "view_client", "change_client")
    )
    client.force_login(other_site_clerk)
    assert client.post(reverse(REMOVE_URL, args=[card.client_id])).status_code == 404
    card.refresh_from_db()
    assert card.removed_at is None
