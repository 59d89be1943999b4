"""Property-based fuzzing of the API against its own OpenAPI schema (schemathesis, over the real
WSGI app). Each operation gets generated requests, valid and invalid; every answer must be a
documented status with a body that matches the schema, never a 5xx.

- As a superuser: every operation × ``SUPERUSER_EXAMPLES`` cases, on real invoices (path ids are
  mapped onto the invoices of the data set, and some are left unknown).
- As Acme's staff (every invoice permission, Acme only), with every path id, pay token and body
  aimed at Globex's invoices, website and client: nothing of Globex may ever come back (no 2xx on
  a Globex invoice, no Globex row, figure or text).

The public pay POST is fuzzed too: without the CSRF cookie and header it must answer 403 (its
payments are covered by tests/api/test_pay_link.py, against localstripe). Generation is
derandomized, so CI runs the same cases every time.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
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

SUPERUSER_EXAMPLES = 45
CROSS_SITE_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_SETTINGS = {
    "derandomize": True,
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}

# Run in a pytest process of its own (see the Makefile): under pytest-xdist, schemathesis fuzzes only
# the first operation of a parametrized test.
pytestmark = pytest.mark.fuzz

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
# What the path parameters are mapped onto, set by the ``books`` fixture of the running test.
TARGETS = {"ids": [], "tokens": [], "clients": [], "keep_unknown": True}
# Cases sent as the superuser, per operation: the last test checks that there were enough.
SENT = {}
MINIMUM_CASES = 500


def aim(case):
    """Aim most generated ids, tokens and bodies at real invoices, websites and clients, so that the
    actions really run (a random id is almost always unknown). Derived from the generated values,
    so that runs stay deterministic; some are left as generated."""
    generated = len(repr(case.path_parameters)) + len(repr(case.body))
    keep = TARGETS["keep_unknown"] and generated % 4 == 0
    parameters = case.path_parameters or {}
    if "id" in parameters and not keep:
        parameters["id"] = TARGETS["ids"][generated % len(TARGETS["ids"])]
    if "token" in parameters and not keep:
        parameters["token"] = TARGETS["tokens"][generated % len(TARGETS["tokens"])]
    if isinstance(case.body, dict) and not keep:
        website, client = TARGETS["clients"][generated % len(TARGETS["clients"])]
        case.body.update({key: value for key, value in (("website", website), ("client", client)) if key in case.body})
        if generated % 4 == 1 and "lines" in case.body:  # one body in four gets a valid line
            case.body["lines"] = [{"description": "Fuzzed work", "unit_price": "10.00"}]


@pytest.fixture(autouse=True)
def keep_the_test_transaction():
    """The WSGI app closes "obsolete" connections around each request, and to Django a connection
    inside the test's transaction looks obsolete on PostgreSQL; Django's test client unhooks the
    same signal handlers while it calls the app."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


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
        "acme_clients": [(site_a.pk, acme_open.client_id)],
        "globex_clients": [(site_b.pk, globex_open.client_id)],
        "acme": [acme_open.pk, acme_paid.pk, acme_draft.pk],
        "acme_tokens": [acme_link.token],
        "globex": [globex_open.pk, globex_draft.pk],
        "globex_tokens": [globex_link.token],
        "globex_markers": ["Globex", globex_open.number, "987654"],
    }


def token_header(user):
    # Acme's host: the public pay endpoint finds its Site from it.
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}", "Host": "acme.test"}


@schema.parametrize()
@settings(max_examples=SUPERUSER_EXAMPLES, **FUZZ_SETTINGS)
@pytest.mark.django_db
def test_api_as_a_superuser(case, books, admin_user):
    TARGETS.update(
        ids=books["acme"] + books["globex"],
        tokens=books["acme_tokens"],
        clients=books["acme_clients"] + books["globex_clients"],
        keep_unknown=True,
    )
    aim(case)
    case.call_and_validate(headers=token_header(admin_user), checks=CHECKS)
    SENT[case.operation.label] = SENT.get(case.operation.label, 0) + 1


def no_globex(body, markers):
    text = json.dumps(body) if not isinstance(body, str) else body
    leaked = [marker for marker in markers if marker in text]
    assert not leaked, f"Globex's data reached Acme's staff: {leaked}"


@schema.parametrize()
@settings(max_examples=CROSS_SITE_EXAMPLES, **FUZZ_SETTINGS)
@pytest.mark.django_db
def test_acme_staff_never_reach_globex(case, books, acme_staff):
    TARGETS.update(
        ids=books["globex"], tokens=books["globex_tokens"], clients=books["globex_clients"], keep_unknown=False
    )
    aim(case)
    response = case.call_and_validate(headers=token_header(acme_staff), checks=CHECKS)
    if "{id}" in case.path or "{token}" in case.path:
        assert not 200 <= response.status_code < 300, (
            f"{case.method} {case.formatted_path} answered {response.status_code}"
        )
    if response.headers.get("Content-Type", [""])[0].startswith("application/json"):
        no_globex(response.text, books["globex_markers"])


def test_enough_cases_were_generated():
    """Runs after the superuser's fuzzing (file order): every operation was fuzzed, 500 cases at least."""
    operations = len(list(schema.get_all_operations()))
    if len(SENT) < operations:
        pytest.skip("Only part of the fuzzing ran (e.g. with -k); the count is checked on a full run.")
    assert sum(SENT.values()) >= MINIMUM_CASES, SENT
