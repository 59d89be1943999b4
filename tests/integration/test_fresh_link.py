"""'Send me a fresh link' on the recovery page: the same pipeline, only to the address on file,
revealing nothing, and at most one email per invoice per interval."""

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django.utils import timezone

from invoicing.models import OutboundEmail, PaymentLink
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import record_manual_payment
from invoicing.services.tokens import revoke_payment_link
from tests.factories import ClientFactory, open_invoice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@pytest.fixture
def expired(site_a):
    invoice, link = open_invoice(site_a, client=ClientFactory(site=site_a, email="on-file@example.com"))
    PaymentLink.objects.filter(pk=invoice.payment_link_id).update(expires_at=timezone.now() - timedelta(minutes=1))
    return invoice, link


def path_of(url):
    return urlsplit(url).path


def ask_for_fresh_link(http, link, **extra):
    return http.post(path_of(link.url) + "fresh-link/", HTTP_HOST="acme.test", **extra)


def test_the_recovery_page_offers_a_csrf_protected_form(expired):
    invoice, link = expired
    http = HttpClient(enforce_csrf_checks=True)
    page = http.get(path_of(link.url), HTTP_HOST="acme.test")
    assert page.status_code == 410
    body = page.content.decode()
    assert "Send me a fresh link" in body and 'name="csrfmiddlewaretoken"' in body
    assert 'action="fresh-link/"' in body and link.token not in body and invoice.number not in body
    assert ask_for_fresh_link(http, link).status_code == 403  # no CSRF token
    assert not OutboundEmail.objects.exists()


def test_a_fresh_link_goes_to_the_address_on_file_and_works(
    expired, client, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, link = expired
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_fresh_link(client, link, data={"email": "attacker@example.com"})
    assert response.status_code == 410
    body = response.content.decode()
    assert "a fresh link is on its way" in body
    for secret in (invoice.number, invoice.title, "on-file@example.com", invoice.client.name):
        assert secret not in body
    assert "no-store" in response["Cache-Control"]

    (message,) = anymail_outbox
    assert message.to == ["on-file@example.com"]
    email = OutboundEmail.objects.get()
    assert email.trigger == OutboundEmail.Trigger.FRESH_LINK and email.status == OutboundEmail.Status.SENT
    new_url = re.search(r'<a class="button" href="([^"]+)"', message.alternatives[0][0]).group(1)
    assert new_url != link.url
    assert client.get(path_of(new_url), HTTP_HOST="acme.test").status_code == 200


def test_asking_again_within_the_interval_sends_nothing_more(
    expired, client, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, link = expired
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            response = ask_for_fresh_link(client, link)
            assert response.status_code == 410 and "a fresh link is on its way" in response.content.decode()
    assert len(anymail_outbox) == 1
    # The interval comes from the settings (INVOICING_FRESH_LINK_MINUTES); once it has passed, one more.
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_fresh_link(client, link)
    assert len(anymail_outbox) == 2


def expire(invoice):
    PaymentLink.objects.filter(invoice=invoice).update(expires_at=timezone.now() - timedelta(minutes=1))


# Each state an invoice's old link can find it in, and whether a client may ask for a fresh link
# there (``CLIENT_REQUESTS``): only while something is due on an open invoice.
STATES = {
    "open": (expire, True),
    "partly paid": (
        lambda invoice: record_manual_payment(invoice, reason="Bank transfer", by=None, amount=Decimal("40.00")),
        True,
    ),
    "paid": (lambda invoice: (record_manual_payment(invoice, reason="Bank transfer", by=None), expire(invoice)), False),
    "void": (lambda invoice: invoice_services.void_invoice(invoice, reason="Cancelled"), False),
    "written off": (
        lambda invoice: (invoice_services.mark_uncollectible(invoice, reason="Client vanished"), expire(invoice)),
        False,
    ),
}


@pytest.mark.parametrize("state", STATES)
def test_a_fresh_link_is_offered_and_sent_only_while_the_invoice_is_open(
    state, site_a, client, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, link = open_invoice(site_a, allow_partial_payments=True)
    bring_to_state, allowed = STATES[state]
    bring_to_state(invoice)
    anymail_outbox.clear()

    page = client.get(path_of(link.url), HTTP_HOST="acme.test")
    assert page.status_code == 410
    assert ("Send me a fresh link" in page.content.decode()) is allowed
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_fresh_link(client, link)

    assert response.status_code == 410
    sent = OutboundEmail.objects.filter(trigger=OutboundEmail.Trigger.FRESH_LINK)
    assert sent.exists() is allowed and (len(anymail_outbox) == 1) is allowed


def test_unknown_tokens_get_a_404_and_working_links_send_nothing(site_a, client, anymail_outbox):
    invoice, link = open_invoice(site_a)
    assert ask_for_fresh_link(client, link).status_code == 302  # still works: back to the invoice
    garbage = client.post("/pay/invoice/INV-NOPE-" + "x" * 43 + "/fresh-link/", HTTP_HOST="acme.test")
    assert garbage.status_code == 404
    revoke_payment_link(invoice)
    assert client.get(path_of(link.url) + "fresh-link/", HTTP_HOST="acme.test").status_code == 405
    assert not OutboundEmail.objects.exists()
