"""The client's billing account, through its HTTP interface: signing in with a one-time link,
what a signed-in client sees, and what nobody else can reach."""

import re

import pytest

from invoicing.models import SignInLink
from invoicing.services.payments import record_manual_payment
from tests.factories import ClientFactory, open_invoice

pytestmark = pytest.mark.usefixtures("empty_cache")

ACCOUNT = "/account/"


def sign_in_link_in(message):
    return re.search(r"http://[^\s\"<]+/account/sign-in/SIGNIN-[A-Za-z0-9_\-]{43}/", message.body).group(0)


def path_of(url):
    return re.sub(r"^http://[^/]+", "", url)


def test_a_client_signs_in_with_the_emailed_link_and_sees_their_invoices(
    client, site_a, anymail_outbox, admin_user, django_capture_on_commit_callbacks
):
    jane = ClientFactory(site=site_a, email="jane@example.com")
    invoice, _link = open_invoice(site_a, client=jane)
    record_manual_payment(invoice, reason="bank", by=admin_user, amount="40.00")

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(ACCOUNT + "sign-in/", {"email": "Jane@Example.com"}, HTTP_HOST=site_a.hostname)
    assert answer.status_code == 200
    [message] = [m for m in anymail_outbox if "sign-in-link" in m.tags]
    link = path_of(sign_in_link_in(message))

    assert client.get(link, HTTP_HOST=site_a.hostname).status_code == 200
    signed_in = client.post(link, HTTP_HOST=site_a.hostname)
    assert signed_in.status_code == 302
    home = client.get(ACCOUNT, HTTP_HOST=site_a.hostname)
    assert home.status_code == 200
    assert invoice.number in home.content.decode()
    detail = client.get(f"{ACCOUNT}invoices/{invoice.pk}/", HTTP_HOST=site_a.hostname)
    assert detail.status_code == 200
    assert SignInLink.objects.get().used_at is not None
