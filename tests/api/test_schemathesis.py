"""Property-based fuzzing of the API against its own OpenAPI schema (schemathesis, over the real
WSGI app). Each operation gets generated requests, valid and invalid; every answer must be a
documented status with a body that matches the schema, never a 5xx.

- As a superuser: 13 operations × ``SUPERUSER_EXAMPLES`` cases, on real invoices (path ids are
  mapped onto the invoices of the data set, and some are left unknown).
- As Acme's staff, with every path id and pay token mapped onto Globex's invoices: nothing of
  Globex may ever come back (no 2xx on a Globex invoice, no Globex row, figure or text).

The public pay POST is fuzzed too: without the CSRF cookie and header it must answer 403 (its
payments are covered by tests/api/test_pay_link.py, against localstripe). Generation is
derandomized, so CI runs the same cases every time.
"""

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from invoicing.services.payments import record_manual_payment
from tests.factories import draft_invoice, line, open_invoice

from .conftest import staff_of

SUPERUSER_EXAMPLES = 45
CROSS_SITE_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_SETTINGS = {
    "derandomize": True,
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
# What the path parameters are mapped onto, set by the ``books`` fixture of the running test.
TARGETS = {"ids": [], "tokens": [], "keep_unknown": True}


@schema.hook
def map_path_parameters(context, path_parameters):
    """Aim most generated ids and tokens at real invoices, so that the actions really run."""
    if not path_parameters:
        return path_parameters
    if "id" in path_parameters and isinstance(path_parameters["id"], int) and TARGETS["ids"]:
        generated = path_parameters["id"]
        if not (TARGETS["keep_unknown"] and generated % 4 == 0):
            path_parameters["id"] = TARGETS["ids"][generated % len(TARGETS["ids"])]
    if "token" in path_parameters and TARGETS["tokens"]:
        generated = path_parameters["token"]
        if not (TARGETS["keep_unknown"] and len(str(generated)) % 3 == 0):
            path_parameters["token"] = TARGETS["tokens"][len(str(generated)) % len(TARGETS["tokens"])]
    return path_parameters


@pytest.fixture
def books(site_a, site_b, admin_user):
    """Acme (EUR) and Globex (USD) invoices in each state, through the services."""
    acme_open, acme_link = open_invoice(site_a, title="Acme open", allow_partial_payments=True)
    acme_paid, _ = open_invoice(site_a, title="Acme paid")
    record_manual_payment(acme_paid, reason="Bank transfer", by=admin_user)
    acme_draft = draft_invoice(site_a, title="Acme draft")
    globex_open, globex_link = open_invoice(
        site_b, title="Globex secret work", lines=[line(unit_price="987654.32")], currency="USD"
    )
    globex_draft = draft_invoice(site_b, title="Globex secret draft", currency="USD")
    return {
        "acme": [acme_open.pk, acme_paid.pk, acme_draft.pk],
        "acme_tokens": [acme_link.token],
        "globex": [globex_open.pk, globex_draft.pk],
        "globex_tokens": [globex_link.token],
        "globex_markers": ["Globex", globex_open.number, "987654", "USD"],
    }


def token_header(user):
    # Acme's host: the public pay endpoint finds its Site from it.
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}", "Host": "acme.test"}


@schema.parametrize()
@settings(max_examples=SUPERUSER_EXAMPLES, **FUZZ_SETTINGS)
@pytest.mark.django_db
def test_api_as_a_superuser(case, books, admin_user):
    TARGETS.update(ids=books["acme"] + books["globex"], tokens=books["acme_tokens"], keep_unknown=True)
    case.call_and_validate(headers=token_header(admin_user), checks=CHECKS)


def no_globex(body, markers):
    text = json.dumps(body) if not isinstance(body, str) else body
    leaked = [marker for marker in markers if marker in text]
    assert not leaked, f"Globex's data reached Acme's staff: {leaked}"


@schema.parametrize()
@settings(max_examples=CROSS_SITE_EXAMPLES, **FUZZ_SETTINGS)
@pytest.mark.django_db
def test_acme_staff_never_reach_globex(case, books, site_a):
    TARGETS.update(ids=books["globex"], tokens=books["globex_tokens"], keep_unknown=False)
    staff = staff_of(site_a, username="acme-fuzz")
    response = case.call_and_validate(headers=token_header(staff), checks=CHECKS)
    if "{id}" in case.path or "{token}" in case.path:
        assert not 200 <= response.status_code < 300, f"{case.method} {case.formatted_path} answered {response.status_code}"
    if response.headers.get("Content-Type", [""])[0].startswith("application/json"):
        no_globex(response.text, books["globex_markers"])
