"""Fixtures of the API tests: machines call with a token, over Django's test client (the real
WSGI stack: middleware, URL routing, authentication, the exception handler)."""

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import billing_staff

API = "/api/v1/order-payments/invoices/"
# Every invoice permission, the actions' own included; API callers need no admin access.
INVOICE_PERMISSIONS = (
    "view_invoice",
    "add_invoice",
    "change_invoice",
    "delete_invoice",
    "void_invoice",
    "write_off_invoice",
    "credit_invoice",
    "report_invoice",
)


def invoice_url(invoice_or_id, action=None):
    pk = getattr(invoice_or_id, "pk", invoice_or_id)
    return f"{API}{pk}/{action}/" if action else f"{API}{pk}/"


class TokenClient:
    """Django's test client, sending ``Authorization: Token <key>`` and JSON bodies."""

    def __init__(self, client, user):
        self.client = client
        self.headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"} if user else {}

    def _call(self, method, url, data=None, **extra):
        kwargs = {"headers": {**self.headers, **extra.pop("headers", {})}, **extra}
        if method in {"get", "delete"}:
            return getattr(self.client, method)(url, data, **kwargs)
        return getattr(self.client, method)(url, data, content_type="application/json", **kwargs)

    def get(self, url, data=None, **extra):
        return self._call("get", url, data, **extra)

    def post(self, url, data=None, **extra):
        return self._call("post", url, data if data is not None else {}, **extra)

    def put(self, url, data=None, **extra):
        return self._call("put", url, data, **extra)

    def patch(self, url, data=None, **extra):
        return self._call("patch", url, data, **extra)

    def delete(self, url, **extra):
        return self._call("delete", url, None, **extra)


@pytest.fixture
def api(client, admin_user):
    """A superuser's machine client."""
    return TokenClient(client, admin_user)


@pytest.fixture
def acme_staff(site_a):
    """Staff with every invoice permission, for Acme (site A) only."""
    return billing_staff(site_a, username="acme-staff", permissions=INVOICE_PERMISSIONS)


@pytest.fixture
def acme_api(client, acme_staff):
    return TokenClient(client, acme_staff)
