"""``"template": <id>`` in the invoice create call: a draft filled from an invoice template, and
any field given overrides the template's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from invoicing.models import Invoice
from tests.factories import ClientFactory
from tests.integration.test_recurring import make_template

from .conftest import API

pytestmark = pytest.mark.django_db


def test_a_draft_filled_from_the_template(api, site_a):
    client = ClientFactory(site=site_a)
    template = make_template(site_a, client=client, description="Monthly", allow_partial_payments=True)
    response = api.post(API, {"template": template.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    invoice = Invoice.objects.get(pk=body["id"])
    assert (invoice.site, invoice.client, invoice.status) == (site_a, client, "draft")
    # Without a period the placeholders are left for the person editing the draft.
    assert (body["title"], body["description"]) == ("Hosting {period_label}", "Monthly")
    assert [(line["description"], line["total"]) for line in body["lines"]] == [
        ("Hosting from {period_start} to {period_end}", "50.00")
    ]
    assert body["currency"] == "EUR" and body["amount"] == "50.00"
    assert invoice.allow_partial_payments is True
    assert invoice.due_date == timezone.localdate() + timedelta(days=14)  # the template's terms


def test_the_fields_given_override_the_template(api, site_a):
    template = make_template(site_a, client=ClientFactory(site=site_a))
    other_client = ClientFactory(site=site_a)
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = api.post(
        API,
        {
            "template": template.pk,
            "website": site_a.pk,
            "client": other_client.pk,
            "title": "Hosting March",
            "due_date": due,
            "lines": [{"description": "Hosting, March", "unit_price": "70.00"}],
            "issue": True,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["client"], body["title"], body["due_date"], body["status"]) == (
        other_client.pk,
        "Hosting March",
        due,
        "open",
    )
    assert [line["description"] for line in body["lines"]] == ["Hosting, March"]
    assert body["amount"] == "70.00"


def test_a_template_without_a_client_needs_one(api, site_a):
    template = make_template(site_a)
    response = api.post(API, {"template": template.pk})
    assert response.status_code == 400
    assert "choose the client" in response.json()["fields"]["client"][0]
    client = ClientFactory(site=site_a)
    assert api.post(API, {"template": template.pk, "client": client.pk}).status_code == 201


def test_a_client_or_website_other_than_the_templates_is_refused(api, site_a, site_b):
    template = make_template(site_a)
    response = api.post(API, {"template": template.pk, "client": ClientFactory(site=site_b).pk})
    assert response.status_code == 400
    assert "belongs to another website" in response.json()["fields"]["client"][0]
    response = api.post(API, {"template": template.pk, "website": site_b.pk, "client": ClientFactory(site=site_a).pk})
    assert response.status_code == 400
    assert response.json()["fields"]["template"] == ["This template belongs to another website."]
    assert not Invoice.objects.exists()


def test_staff_cannot_use_the_template_of_a_website_they_do_not_bill(acme_api, site_a, site_b):
    template = make_template(site_b, client=ClientFactory(site=site_b))
    response = acme_api.post(API, {"template": template.pk})
    assert response.status_code == 400
    # The same answer as for a template that does not exist: nothing is revealed.
    assert "does not exist" in response.json()["fields"]["template"][0]
    assert "does not exist" in acme_api.post(API, {"template": 999999}).json()["fields"]["template"][0]
    assert not Invoice.objects.exists()


def test_an_update_takes_no_template(api, site_a):
    template = make_template(site_a, client=ClientFactory(site=site_a))
    draft = api.post(API, {"template": template.pk}).json()
    response = api.patch(f"{API}{draft['id']}/", {"template": template.pk, "title": "Hosting"})
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Hosting"
