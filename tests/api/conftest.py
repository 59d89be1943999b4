"""Fixtures of the API tests: machines call with a token, over Django's test client (the real
WSGI stack: middleware, URL routing, authentication, the exception handler)."""

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.authtoken.models import Token

from invoicing.models import SiteBillingAccess
from tests.factories import UserFactory

API = "/api/v1/order-payments/invoices/"


def invoice_url(invoice_or_id, action=None):
    pk = getattr(invoice_or_id, "pk", invoice_or_id)
    return f"{API}{pk}/{action}/" if action else f"{API}{pk}/"


def staff_of(*sites, username, codenames=("view_invoice", "add_invoice", "change_invoice", "delete_invoice")):
    """A staff user whose group holds ``codenames`` and billing access to ``sites`` only."""
    group = Group.objects.create(name=f"{username} billing")
    group.permissions.set(Permission.objects.filter(content_type__app_label="invoicing", codename__in=codenames))
    for site in sites:
        SiteBillingAccess.objects.create(group=group, site=site)
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(group)
    return user


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
    return staff_of(site_a, username="acme-staff")


@pytest.fixture
def acme_api(client, acme_staff):
    return TokenClient(client, acme_staff)
