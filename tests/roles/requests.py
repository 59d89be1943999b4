"""How the matrix's tests call: test ids, the bulk action's URL, the API with a token."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from .matrix import ROLES, WEBSITES

API = "/api/v1/order-payments/invoices/"


def cases(names, websites=WEBSITES, roles=ROLES):
    """One test per (role, name, website), its id "clerk-void-own"; without websites, per (role, name)."""
    if websites is None:
        return [pytest.param(role, name, id=f"{role}-{name}") for name in names for role in roles]
    return [
        pytest.param(role, name, website, id=f"{role}-{name}-{website}")
        for name in names
        for role in roles
        for website in websites
    ]


def bulk_url(name, invoices):
    url = reverse("wagtail_bulk_action", args=["invoicing", "invoice", name])
    return url + "?" + "&".join(f"id={invoice.pk}" for invoice in invoices)


def api_call(client, user, method, url, data=None):
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
    if method == "get":
        return client.get(url, data or {}, headers=headers)
    return client.post(url, data or {}, content_type="application/json", headers=headers)


def body_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()
