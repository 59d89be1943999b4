"""Wagtail's site history with the module's third log model (``invoicing/admin/site_history.py``):
one flat UNION ALL, which Django 6.1 on SQLite compiles, with every model's entries in it."""

import pytest
from django.urls import reverse
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry, PageLogEntry

from invoicing.admin.site_history import flatten_union
from invoicing.models import BillingLogEntry
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_a_chain_of_unions_becomes_one_with_the_same_rows(site_a):
    log(instance=site_a.root_page, action="wagtail.edit")
    log(instance=ClientFactory(site=site_a), action="wagtail.create")
    models = (PageLogEntry, ModelLogEntry, BillingLogEntry)
    querysets = [model.objects.values("pk", "timestamp").order_by() for model in models]
    # As Wagtail's LogEntriesView builds it.
    chained = querysets[0].union(querysets[1], all=True).union(querysets[2], all=True).order_by("-timestamp")
    expected = sorted(row["pk"] for queryset in querysets for row in queryset)

    flat = flatten_union(chained)

    assert len(flat.query.combined_queries) == 3
    assert not any(part.combinator for part in flat.query.combined_queries)
    assert sorted(row["pk"] for row in flat) == expected and len(expected) >= 2


def test_the_site_history_lists_page_and_billing_entries_together(admin_client, site_a):
    log(instance=site_a.root_page, action="wagtail.edit")
    customer = ClientFactory(site=site_a, name="Logged Customer")
    log(instance=customer, action="wagtail.create")

    response = admin_client.get(reverse("wagtailadmin_reports:site_history"))

    assert response.status_code == 200
    body = response.content.decode()
    assert site_a.root_page.title in body and "Logged Customer" in body
