"""Who may call what (SECURITY.md 20–22): authentication, model permissions, and websites as a
matrix. Acme's staff hold every invoice permission but bill for Acme only: each of Globex's
invoices answers 404 on every endpoint, and nothing of Globex shows up anywhere."""

import pytest
from django.contrib.auth.models import Permission
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client as DjangoClient

from invoicing.models import Invoice, Payment
from tests.factories import UserFactory, billing_staff, draft_invoice, open_invoice

from .conftest import API, INVOICE_PERMISSIONS, TokenClient, invoice_url

pytestmark = pytest.mark.django_db

# (method, action or None for the invoice itself, body): every endpoint on one invoice.
DETAIL_CALLS = [
    ("get", None, None),
    ("put", None, {"title": "x"}),
    ("patch", None, {"title": "x"}),
    ("delete", None, None),
    ("post", "send_email", {}),
    ("post", "mark_paid", {"reason": "x"}),
    ("post", "void", {"reason": "x"}),
    ("post", "mark_uncollectible", {}),
    ("get", "pdf", None),
]
# (method, action, body, the permission it needs); the action "list" or "stats" names a URL without an invoice.
PERMISSIONS = {"get": "view", "put": "change", "patch": "change", "delete": "delete", "post": "change"}
# The actions that need a permission of their own.
ACTION_PERMISSIONS = {"void": "void", "mark_uncollectible": "write_off"}
EVERY_CALL = [
    ("get", "list", None, "view"),
    ("post", "list", {}, "add"),
    ("get", "stats", None, "report"),
    *[
        (method, action, body, ACTION_PERMISSIONS.get(action, PERMISSIONS[method]))
        for method, action, body in DETAIL_CALLS
    ],
]


def url_of(action, invoice):
    return {"list": API, "stats": f"{API}stats/"}.get(action) or invoice_url(invoice, action)


def call(api, method, url, body):
    return api.delete(url) if method == "delete" else getattr(api, method)(url, body)


@pytest.fixture
def globex(site_b, admin_user):
    draft = draft_invoice(site_b, title="Globex secret draft", currency="USD")
    unpaid, _link = open_invoice(site_b, title="Globex unpaid work", currency="USD")
    return {"draft": draft, "unpaid": unpaid}


@pytest.mark.parametrize(("method", "action", "body"), DETAIL_CALLS)
@pytest.mark.parametrize("which", ["draft", "unpaid"])
def test_another_websites_invoice_is_a_404_everywhere(acme_api, globex, method, action, body, which):
    invoice = globex[which]
    before = list(Invoice.objects.values().order_by("pk"))
    response = call(acme_api, method, invoice_url(invoice, action), body)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "Globex" not in response.content.decode()
    assert list(Invoice.objects.values().order_by("pk")) == before
    assert not Payment.objects.exists()


def test_lists_and_searches_show_only_the_callers_websites(acme_api, api, site_a, globex):
    mine, _link = open_invoice(site_a)
    assert [row["id"] for row in acme_api.get(API).json()["results"]] == [mine.pk]
    for params in (
        {"search": globex["unpaid"].number},
        {"website": globex["unpaid"].site_id},
        {"client": globex["unpaid"].client_id},
    ):
        assert acme_api.get(API, params).json()["results"] == []
    # The superuser sees everything: the filters above would have matched.
    assert api.get(API, {"search": globex["unpaid"].number}).json()["count"] == 1


def test_stats_count_only_the_callers_websites(acme_api, api, site_a, globex):
    open_invoice(site_a)
    assert [row["currency"] for row in acme_api.get(f"{API}stats/").json()["currencies"]] == ["EUR"]
    assert [
        row["currency"]
        for row in acme_api.get(f"{API}stats/", {"website": globex["unpaid"].site_id}).json()["currencies"]
    ] == []
    assert [row["currency"] for row in api.get(f"{API}stats/").json()["currencies"]] == ["EUR", "USD"]


@pytest.mark.parametrize(("method", "action", "body", "_perm"), EVERY_CALL)
def test_anonymous_callers_must_authenticate(client, site_a, method, action, body, _perm):
    invoice = draft_invoice(site_a)
    response = call(TokenClient(client, None), method, url_of(action, invoice), body)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated" and response["WWW-Authenticate"] == "Token"


def test_a_wrong_or_inactive_token_is_refused(client, site_a, acme_staff):
    bad = TokenClient(client, None)
    bad.headers = {"Authorization": "Token not-a-real-key"}
    assert (bad.get(API).status_code, bad.get(API).json()["code"]) == (401, "authentication_failed")
    api = TokenClient(client, acme_staff)
    acme_staff.is_active = False
    acme_staff.save()
    assert api.get(API).status_code == 401


@pytest.mark.parametrize(("method", "action", "body", "perm"), EVERY_CALL)
def test_each_endpoint_needs_its_permission(client, site_a, method, action, body, perm):
    invoice = draft_invoice(site_a)
    url = url_of(action, invoice)
    nobody = TokenClient(client, billing_staff(site_a, username="no-perms", permissions=()))
    assert call(nobody, method, url, body).status_code == 403
    # View permission alone: reading works, every change is refused.
    viewer = TokenClient(client, billing_staff(site_a, username="viewer", permissions=("view_invoice",)))
    response = call(viewer, method, url, body)
    if perm == "view":
        assert response.status_code == 200
    else:
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert Invoice.objects.filter(pk=invoice.pk, title="Services").exists()


def test_a_non_staff_user_gets_nothing_even_with_permissions(client, site_a):
    user = UserFactory(username="outsider", is_staff=False)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="invoicing"))
    assert TokenClient(client, user).get(API).status_code == 403


def test_staff_without_any_website_see_nothing(client, site_a):
    open_invoice(site_a)
    lonely = TokenClient(client, billing_staff(username="lonely", permissions=INVOICE_PERMISSIONS))
    assert lonely.get(API).json()["count"] == 0


def test_session_authentication_keeps_csrf(site_a, admin_user):
    browser = DjangoClient(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    invoice, _link = open_invoice(site_a)
    assert browser.get(API).status_code == 200
    refused = browser.post(invoice_url(invoice, "void"), {"reason": "x"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    accepted = browser.post(
        invoice_url(invoice, "void"), {"reason": "x"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200
