"""Machine access (token auth and ``manage.py invoicing_api_token``) and the API's documentation:
the OpenAPI 3 schema and the browsable docs page, served without any CDN."""

from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command
from drf_spectacular.settings import patched_settings
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token

from invoicing.api.schema import SCHEMA_SETTINGS
from tests.factories import UserFactory, open_invoice

from .conftest import API

pytestmark = pytest.mark.django_db


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command("invoicing_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_command_creates_then_prints_the_key(client, admin_user, site_a):
    key, message = run_command("admin")
    assert "Created" in message and Token.objects.get(user=admin_user).key == key
    assert run_command("admin")[0] == key
    open_invoice(site_a)
    response = client.get(API, headers={"Authorization": f"Token {key}"})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_the_command_rotates(client, admin_user):
    old, _ = run_command("admin")
    new, message = run_command("admin", "--rotate")
    assert new != old and "old one no longer works" in message
    assert client.get(API, headers={"Authorization": f"Token {old}"}).status_code == 401
    assert client.get(API, headers={"Authorization": f"Token {new}"}).status_code == 200


def test_the_command_refuses_unknown_and_non_staff_users(db):
    with pytest.raises(CommandError, match="no user 'ghost'"):
        run_command("ghost")
    UserFactory(username="customer", is_staff=False)
    with pytest.raises(CommandError, match="not an active staff user"):
        run_command("customer")
    assert not Token.objects.exists()


def test_the_schema_documents_every_operation(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    prefix = "/api/v1/order-payments/invoices/"
    assert operations == {
        (prefix, "get"),
        (prefix, "post"),
        (prefix + "{id}/", "get"),
        (prefix + "{id}/", "put"),
        (prefix + "{id}/", "patch"),
        (prefix + "{id}/", "delete"),
        (prefix + "{id}/send_email/", "post"),
        (prefix + "{id}/mark_paid/", "post"),
        (prefix + "{id}/void/", "post"),
        (prefix + "{id}/mark_uncollectible/", "post"),
        (prefix + "{id}/pause_reminders/", "post"),
        (prefix + "{id}/resume_reminders/", "post"),
        (prefix + "{id}/pdf/", "get"),
        (prefix + "{id}/discount/", "post"),
        (prefix + "{id}/discount/", "delete"),
        (prefix + "{id}/plan/", "put"),
        (prefix + "{id}/plan/", "delete"),
        (prefix + "stats/", "get"),
        (prefix + "{id}/credit-notes/", "get"),
        (prefix + "{id}/credit-notes/", "post"),
        ("/api/v1/order-payments/credit-notes/{id}/", "get"),
        ("/api/v1/order-payments/credit-notes/{id}/pdf/", "get"),
        (prefix + "{id}/einvoice/", "get"),
        ("/api/v1/order-payments/credit-notes/{id}/einvoice/", "get"),
        (prefix + "pay/{token}/", "get"),
        (prefix + "pay/{token}/", "post"),
        ("/api/v1/order-payments/clients/", "get"),
        ("/api/v1/order-payments/clients/", "post"),
        ("/api/v1/order-payments/clients/{id}/", "get"),
        ("/api/v1/order-payments/clients/{id}/", "put"),
        ("/api/v1/order-payments/clients/{id}/", "patch"),
    }
    # Money is a decimal string, never a number; errors have their own schema.
    invoice = schema["components"]["schemas"]["InvoiceDetail"]["properties"]
    assert invoice["amount"]["type"] == "string" and invoice["amount_due"]["format"] == "decimal"
    line = schema["components"]["schemas"]["LineRequest"]["properties"]
    assert line["unit_price"]["type"] == "string"
    assert schema["paths"][prefix + "{id}/"]["put"]["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    security = {name for requirement in schema["paths"][prefix]["get"]["security"] for name in requirement}
    assert security == {"tokenAuth", "cookieAuth"}
    assert schema["paths"][prefix + "pay/{token}/"]["get"].get("security") in (None, [{}], [])


def test_the_schema_is_valid_openapi_without_warnings(client, tmp_path):
    # drf-spectacular's own check against the OpenAPI 3 meta-schema; raises when the schema is invalid.
    validate_schema(yaml.safe_load(client.get("/api/v1/schema/").content))
    # A field it cannot type (it would guess "string") fails here; with the API's own schema settings,
    # as its schema view applies them (the project has no SPECTACULAR_SETTINGS).
    with patched_settings(SCHEMA_SETTINGS):
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_the_docs_page_loads_nothing_from_a_cdn(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "/api/v1/schema/" in page
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
