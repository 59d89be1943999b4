"""Rule 6: every URL that carries a token is built from the invoice's Site, never from the Host
header of the request that happened to produce it.

Every other test sends the Site's own Host, so a URL built from the request would look right
there. Here the request reaches the pay page under another Host, as Wagtail allows: a hostname
with a port the Site does not have (``Site.find_for_request`` falls back to the hostname), or any
unknown host when the invoice's Site is the default one.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from wagtail.models import Site

from invoicing.models import PaymentLink
from tests.factories import open_invoice
from tests.pdf_helpers import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

FOREIGN_HOSTS = ["acme.test:8080", "attacker.test"]


@pytest.fixture
def acme_is_default(site_a):
    """Acme answers hosts that no Site names, as a default Site does."""
    Site.objects.filter(is_default_site=True).update(is_default_site=False)
    site_a.is_default_site = True
    site_a.save()
    return site_a


@pytest.fixture(params=FOREIGN_HOSTS)
def foreign_host(request, acme_is_default):
    return request.param


@pytest.fixture
def issued(acme_is_default):
    return open_invoice(acme_is_default, title="Hosting")


def path_of(url):
    return urlsplit(url).path


def test_the_foreign_host_really_reaches_acmes_pay_page(client, issued, foreign_host):
    # Without this, the tests below could pass on a 404.
    invoice, link = issued
    response = client.get(path_of(link.url), HTTP_HOST=foreign_host)
    assert response.status_code == 200
    assert invoice.number in response.content.decode()


def test_the_stripe_return_url_is_on_the_sites_host(client, issued, foreign_host, stripe_server):
    _, link = issued
    response = client.post(path_of(link.url) + "card/", HTTP_HOST=foreign_host)
    assert response.status_code == 200, response.content
    assert response.json()["return_url"] == link.url + "return/"
    assert link.url.startswith("http://acme.test/pay/invoice/")


def test_the_pay_link_in_the_pdf_is_on_the_sites_host(client, issued, foreign_host):
    invoice, link = issued
    response = client.get(path_of(link.url) + "pdf/", HTTP_HOST=foreign_host)
    assert response.status_code == 200
    text = pdf_text(response.content).replace("\n", "")
    assert link.url in text
    assert foreign_host not in text


def test_the_fresh_link_emailed_from_the_recovery_page_is_on_the_sites_host(
    client, issued, foreign_host, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, link = issued
    PaymentLink.objects.filter(pk=invoice.payment_link_id).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path_of(link.url) + "fresh-link/", HTTP_HOST=foreign_host)
    assert response.status_code == 410
    [message] = anymail_outbox
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "http://acme.test/pay/invoice/INV-" in body
        assert foreign_host not in body


def test_the_pay_apis_pdf_url_is_on_the_sites_host(client, issued, foreign_host):
    _, link = issued
    response = client.get(f"/api/v1/order-payments/invoices/pay/{link.token}/", HTTP_HOST=foreign_host)
    assert response.status_code == 200, response.content
    assert response.json()["pdf_url"] == link.url + "pdf/"
