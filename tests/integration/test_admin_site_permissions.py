"""A permission counts on the websites its group grants, in the admin (issue #18).

One person is a billing clerk of Acme (site A) and the billing manager of Globex (site B): two
groups, each with its role's permissions and billing access to its own website. They see both
websites' invoices; each action is checked against the object's own website. A refused action is
Wagtail's "no permission" redirect to the dashboard (its answer to ``PermissionDenied``), its
button is not shown, and nothing changes. (Another website's object stays a 404: test_admin_site_access.)
"""

import csv
import io

import pytest
from django.urls import reverse
from wagtail.models import Site

from invoicing.core.roles import ROLES, Role
from invoicing.models import BillingSettings, BulkJob, Invoice, StripeEvent
from invoicing.services.bulk import run_bulk_job
from invoicing.services.payments import record_manual_payment
from tests.factories import UserFactory, billing_group, draft_invoice, open_invoice

INVOICES = "wagtailsnippets_invoicing_invoice"
EVENTS = "wagtailsnippets_invoicing_stripeevent"


@pytest.fixture
def clerk_here_manager_there(site_a, site_b):
    """Clerk of Acme (A), manager of Globex (B)."""
    user = UserFactory(username="clerk-a-manager-b", is_staff=True)
    user.groups.add(billing_group(site_a, name="Acme clerks", permissions=ROLES[Role.CLERK].permissions))
    user.groups.add(billing_group(site_b, name="Globex managers", permissions=ROLES[Role.MANAGER].permissions))
    return user


@pytest.fixture
def staff_client(client, clerk_here_manager_there):
    client.force_login(clerk_here_manager_there)
    return client


def url(name, *args, namespace=INVOICES):
    return reverse(f"{namespace}:{name}", args=args)


def refused(response):
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def downloaded(response):
    return b"".join(response.streaming_content).decode()


def status_of(invoice):
    return Invoice.objects.get(pk=invoice.pk).status


def test_voids_on_the_website_they_manage_only(staff_client, site_a, site_b):
    ours_to_manage, _ = open_invoice(site_b)
    clerked, _ = open_invoice(site_a)

    response = staff_client.post(url("void", ours_to_manage.pk), {"reason": "Duplicate"})
    assert response.status_code == 302 and status_of(ours_to_manage) == "void"

    assert refused(staff_client.get(url("void", clerked.pk)))
    assert refused(staff_client.post(url("void", clerked.pk), {"reason": "Duplicate"}))
    assert status_of(clerked) == "open"


def test_the_clerked_websites_invoice_offers_no_void_write_off_or_credit(staff_client, site_a, site_b):
    clerked, _ = open_invoice(site_a)
    managed, _ = open_invoice(site_b)
    forbidden_here = ("void", "mark_uncollectible", "credit_note")

    page = staff_client.get(url("inspect", clerked.pk)).content.decode()
    assert url("mark_paid", clerked.pk) in page  # a clerk's action is offered
    for name in forbidden_here:
        assert url(name, clerked.pk) not in page
    managed_page = staff_client.get(url("inspect", managed.pk)).content.decode()
    for name in forbidden_here:
        assert url(name, managed.pk) in managed_page

    listing = staff_client.get(url("list")).content.decode()
    assert url("void", managed.pk) in listing and url("void", clerked.pk) not in listing


def test_bulk_void_voids_only_the_managed_websites_invoice(staff_client, site_a, site_b):
    clerked, _ = open_invoice(site_a)
    managed, _ = open_invoice(site_b)
    bulk_url = reverse("wagtail_bulk_action", args=["invoicing", "invoice", "void"])
    query = f"?id={clerked.pk}&id={managed.pk}&next=/"

    confirm = staff_client.get(bulk_url + query)
    assert confirm.status_code == 200
    assert [item["item"].pk for item in confirm.context["items"]] == [managed.pk]
    assert [invoice.pk for invoice in confirm.context["items_with_no_access"]] == [clerked.pk]

    staff_client.post(bulk_url + query, {"reason": "Duplicate"})
    job = BulkJob.objects.get()
    assert job.invoice_ids == [managed.pk]
    run_bulk_job(job.pk)
    assert (status_of(clerked), status_of(managed)) == ("open", "void")


def test_a_clerk_edits_drafts_of_the_website_they_clerk(staff_client, site_a):
    draft = draft_invoice(site_a)
    assert staff_client.get(url("edit", draft.pk)).status_code == 200


def test_editing_needs_the_change_permission_on_the_drafts_website(client, site_a, site_b):
    """Viewing on A, changing on B only: A's draft is refused, B's opens."""
    user = UserFactory(is_staff=True)
    user.groups.add(billing_group(site_a, name="A viewers", permissions=("wagtailadmin.access_admin", "view_invoice")))
    user.groups.add(billing_group(site_b, name="B editors", permissions=("view_invoice", "change_invoice")))
    client.force_login(user)
    here, there = draft_invoice(site_a), draft_invoice(site_b)
    assert refused(client.get(url("edit", here.pk)))
    assert client.get(url("edit", there.pk)).status_code == 200
    assert client.get(url("inspect", here.pk)).status_code == 200  # viewing is allowed on A


def test_new_invoices_only_on_websites_where_they_may_add(client, site_a, site_b):
    user = UserFactory(is_staff=True)
    user.groups.add(billing_group(site_a, name="A viewers", permissions=("wagtailadmin.access_admin", "view_invoice")))
    user.groups.add(billing_group(site_b, name="B clerks", permissions=ROLES[Role.CLERK].permissions))
    client.force_login(user)
    response = client.get(url("add"))
    assert list(response.context["form"].fields["site"].queryset) == [Site.objects.get(pk=site_b.pk)]


def test_billing_settings_of_the_managed_website_only(staff_client, site_a, site_b):
    settings = "wagtailsettings:edit"
    clerked = reverse(settings, args=["invoicing", "billingsettings", site_a.pk])
    managed = reverse(settings, args=["invoicing", "billingsettings", site_b.pk])
    assert refused(staff_client.get(clerked))
    assert refused(staff_client.post(clerked, {"number_prefix": "HACK"}))
    assert BillingSettings.for_site(site_a).number_prefix == "ACME"
    assert staff_client.get(managed).status_code == 200


def test_the_report_and_the_dashboard_show_the_managed_website_only(staff_client, site_a, site_b):
    open_invoice(site_a)  # in EUR, Acme's currency
    open_invoice(site_b)  # in USD, Globex's
    report = staff_client.get(reverse("invoicing_billing_report") + "?export=csv")
    rows = list(csv.DictReader(io.StringIO(downloaded(report))))
    assert [row["Currency"] for row in rows if row["Invoices"] != "0"] == ["USD"]
    page = staff_client.get(reverse("invoicing_billing_report")).content.decode()
    assert f'<option value="{site_b.pk}"' in page and f'<option value="{site_a.pk}"' not in page
    dashboard = staff_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "USD" in dashboard and "EUR" not in dashboard


def test_a_clerk_alone_has_no_report_dashboard_figures_or_exports(client, site_a):
    user = UserFactory(is_staff=True)
    user.groups.add(billing_group(site_a, name="Acme clerks", permissions=ROLES[Role.CLERK].permissions))
    client.force_login(user)
    open_invoice(site_a)
    assert refused(client.get(reverse("invoicing_billing_report")))
    listing = client.get(url("list")).content.decode()
    assert "export=csv" not in listing and "export=xlsx" not in listing
    assert refused(client.get(url("list") + "?export=csv"))
    assert refused(client.get(reverse("wagtailsnippets_invoicing_client:list") + "?export=xlsx"))
    assert "EUR" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_exports_hold_the_rows_of_websites_where_they_may_report(staff_client, site_a, site_b):
    clerked, _ = open_invoice(site_a)
    managed, _ = open_invoice(site_b)
    listing = staff_client.get(url("list")).content.decode()
    assert "export=csv" in listing
    exported = downloaded(staff_client.get(url("list") + "?export=csv"))
    assert managed.number in exported and clerked.number not in exported


def test_stripe_events_of_the_managed_website_only(staff_client, site_a, site_b):
    clerked, managed = open_invoice(site_a)[0], open_invoice(site_b)[0]
    event_a, event_b = (
        StripeEvent.objects.create(
            event_id=event_id,
            type="customer.created",
            payload={"id": event_id, "type": "customer.created", "data": {"object": {}}},
            site=invoice.site,
            invoice=invoice,
            status="failed",
        )
        for event_id, invoice in (("evt_acme", clerked), ("evt_globex", managed))
    )
    inbox = staff_client.get(url("list", namespace=EVENTS)).content.decode()
    assert "evt_globex" in inbox and "evt_acme" not in inbox
    assert url("replay", event_b.pk, namespace=EVENTS) in inbox

    assert refused(staff_client.get(url("inspect", event_a.pk, namespace=EVENTS)))
    assert refused(staff_client.post(url("replay", event_a.pk, namespace=EVENTS)))
    assert StripeEvent.objects.get(pk=event_a.pk).status == "failed"
    assert staff_client.post(url("replay", event_b.pk, namespace=EVENTS)).status_code == 302
    assert StripeEvent.objects.get(pk=event_b.pk).status != "failed"


def test_the_payments_ledger_of_the_managed_website_only(staff_client, site_a, site_b):
    clerked, managed = open_invoice(site_a)[0], open_invoice(site_b)[0]
    record_manual_payment(clerked, reason="Transfer", by=None)
    record_manual_payment(managed, reason="Transfer", by=None)
    ledger = staff_client.get(reverse("invoicing_payment_modeladmin_index")).content.decode()
    assert Invoice.objects.get(pk=managed.pk).number in ledger
    assert Invoice.objects.get(pk=clerked.pk).number not in ledger
