"""Every answer of a token route carries the token pages' protective headers (rules 6, 28 and 29):
the page, the recovery page, a wrong method, the 429, and the 404 of a bad token, whose URL may
still hold most of a real one."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from invoicing.models import PaymentLink
from tests.factories import open_invoice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache", "rate_limit_clock")]


def expire(invoice):
    PaymentLink.objects.filter(pk=invoice.payment_link_id).update(expires_at=timezone.now() - timedelta(minutes=1))


ANSWERS = {
    # name: (what to do to the invoice, the path below the link, method, expected status)
    "the invoice": (None, "", "get", 200),
    "its PDF": (None, "pdf/", "get", 200),
    "a wrong method": (None, "card/", "get", 405),
    "an expired link": (expire, "", "get", 410),
    "a wrong token": ("wrong", "", "get", 404),
    "a wrong token's PDF": ("wrong", "pdf/", "get", 404),
    "a wrong token's fresh-link form": ("wrong", "fresh-link/", "post", 404),
    "over the rate limit": ("limited", "", "get", 429),
}


@pytest.mark.parametrize("answer", ANSWERS)
def test_every_answer_of_a_token_route_is_protected(answer, client, site_a, settings):
    invoice, link = open_invoice(site_a)
    change, below, method, status = ANSWERS[answer]
    path = urlsplit(link.url).path
    if change == "wrong":
        path = path[:-3] + ("b" if path[-3] != "b" else "c") + path[-2:]
    elif change == "limited":
        settings.INVOICING_RATE_LIMITS = {"ip": 1, "token": 100}
        client.get(path, HTTP_HOST="acme.test")
    elif change:
        change(invoice)

    response = getattr(client, method)(path + below, HTTP_HOST="acme.test")

    assert response.status_code == status
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "strict-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
