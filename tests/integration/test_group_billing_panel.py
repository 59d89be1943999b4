"""The "Billing websites" panel on Wagtail's group pages, through Django's test client: it grants a
group billing access to chosen websites (``SiteBillingAccess``), and its members then see those
websites' invoices and no others."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from invoicing.models import SiteBillingAccess
from invoicing.models.access import billing_sites
from tests import factories
from tests.factories import EVERY_BILLING_PERMISSION, UserFactory, open_invoice

FIELD = "invoicing_billing_sites-sites"


@pytest.fixture
def billing_group(db):
    """A group with every billing permission and, as yet, no website."""
    return factories.billing_group(name="Billing staff", permissions=EVERY_BILLING_PERMISSION)


def group_form_data(response, name, sites):
    """What the browser would post back: the group's name and permissions as they are, every other
    panel unchanged (formsets empty), and the chosen billing websites."""
    form = response.context["form"]
    # Only the permissions that Wagtail lists can be posted; it keeps the others by itself.
    listed = set(form.fields["permissions"].queryset.values_list("pk", flat=True))
    data = {"name": name, "permissions": [p.pk for p in form.initial.get("permissions", []) if p.pk in listed]}
    for panel in response.context["permission_panels"]:
        management_form = getattr(panel, "management_form", None)
        if management_form is not None:
            data.update({management_form.add_prefix(key): value for key, value in management_form.initial.items()})
    data[FIELD] = [site.pk for site in sites]
    return data


def granted_sites(group):
    return set(SiteBillingAccess.objects.filter(group=group).values_list("site_id", flat=True))


def test_the_group_page_lists_every_website_with_the_granted_ones_ticked(admin_client, billing_group, site_a, site_b):
    SiteBillingAccess.objects.create(group=billing_group, site=site_b)
    response = admin_client.get(reverse("wagtailusers_groups:edit", args=[billing_group.pk]))
    assert response.status_code == 200
    panel = next(p for p in response.context["permission_panels"] if p.prefix == "invoicing_billing_sites")
    assert {choice.pk for choice in panel.fields["sites"].queryset} >= {site_a.pk, site_b.pk}
    assert panel.initial == {"sites": [site_b.pk]}
    body = response.content.decode()
    assert "Billing websites" in body
    assert f'name="{FIELD}" value="{site_a.pk}"' in body


def test_saving_the_group_page_grants_and_withdraws_websites(admin_client, billing_group, site_a, site_b):
    url = reverse("wagtailusers_groups:edit", args=[billing_group.pk])

    response = admin_client.post(url, group_form_data(admin_client.get(url), "Billing staff", [site_a, site_b]))
    assert response.status_code == 302
    assert granted_sites(billing_group) == {site_a.pk, site_b.pk}

    response = admin_client.post(url, group_form_data(admin_client.get(url), "Billing staff", [site_b]))
    assert response.status_code == 302
    assert granted_sites(billing_group) == {site_b.pk}
    # The rest of the group is kept: its invoicing permissions were posted back unchanged.
    assert billing_group.permissions.filter(codename="view_invoice").exists()

    admin_client.post(url, group_form_data(admin_client.get(url), "Billing staff", []))
    assert granted_sites(billing_group) == set()


def test_a_new_group_gets_its_websites_when_it_is_created(admin_client, site_a, site_b):
    url = reverse("wagtailusers_groups:add")
    response = admin_client.post(url, group_form_data(admin_client.get(url), "Acme billing", [site_a]))
    assert response.status_code == 302
    assert granted_sites(Group.objects.get(name="Acme billing")) == {site_a.pk}


def test_an_unknown_website_is_refused_and_nothing_is_saved(admin_client, billing_group, site_a):
    url = reverse("wagtailusers_groups:edit", args=[billing_group.pk])
    data = group_form_data(admin_client.get(url), "Renamed", [site_a])
    data[FIELD] = [site_a.pk, 987654]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert granted_sites(billing_group) == set()
    assert Group.objects.get(pk=billing_group.pk).name == "Billing staff"


def test_members_see_the_invoices_of_the_websites_granted_on_the_group_page(
    admin_client, client, billing_group, site_a, site_b
):
    acme_invoice, _ = open_invoice(site_a, title="Acme work")
    globex_invoice, _ = open_invoice(site_b, title="Globex work")
    member = UserFactory(username="clerk", is_staff=True)
    member.groups.add(billing_group)
    url = reverse("wagtailusers_groups:edit", args=[billing_group.pk])
    admin_client.post(url, group_form_data(admin_client.get(url), "Billing staff", [site_b]))

    assert list(billing_sites(member)) == [site_b]
    client.force_login(member)
    body = client.get(reverse("wagtailsnippets_invoicing_invoice:list")).content.decode()
    assert globex_invoice.number in body
    assert acme_invoice.number not in body
