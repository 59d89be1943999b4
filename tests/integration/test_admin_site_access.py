"""Per-website access in the Wagtail admin, as a matrix (SECURITY.md 20–22).

A clerk of Acme (site A) holds every invoicing permission, but billing access to Acme only.
Everything lives on Globex (site B): clients, draft, open and paid invoices, payments, refunds,
emails, bulk jobs, Stripe events. The clerk tries every invoicing admin URL, enumerated from the URL
resolver so that new views are covered without editing this file, with every Globex object: each
answers 404 or 403, nothing Globex shows up in listings, searches, filters, exports, choosers or
bulk actions, and the database is exactly as it was. A superuser makes the same requests to prove
that the URLs are filled in right and that the markers would show.
"""

import csv
import inspect
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.apps import apps
from django.core.exceptions import FieldError
from django.test import Client as BrowserClient
from django.urls import URLResolver, get_resolver, reverse
from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.models import Site

from invoicing.mail.kinds import EmailKind
from invoicing.models import BillingSettings, BulkJob, Client, Invoice, StripeEvent
from invoicing.services.bulk import run_bulk_job, start_bulk_job
from invoicing.services.outbox import send_invoice_email
from invoicing.services.payments import record_manual_payment, record_refund
from tests.factories import (
    EVERY_BILLING_PERMISSION,
    ClientFactory,
    UserFactory,
    billing_staff,
    draft_invoice,
    line,
    open_invoice,
)

# Views that take an object but do not say its model the Wagtail way (``model`` on the view, or a
# snippet namespace): the model their URL's object id points at, by URL namespace.
URL_MODELS = {"invoicing_jobs": BulkJob}

# How the rows of each model lead to their website; a model with none of these (a bulk job) is
# taken whole: in these tests, all its rows are Globex's.
SITE_PATHS = ["site", "invoice__site", "payment__invoice__site", "client__site", "email__invoice__site"]

# What a leaky action could be sent; a view ignores what it does not expect.
POST_DATA = {"reason": "Matrix test", "kind": EmailKind.INVOICE, "amount": "1.00", "note": "x", "confirm": "1"}

REFUSED = {403, 404}
# A view that only answers GET refuses a POST before it looks anything up: that reveals nothing.
REFUSED_POST = REFUSED | {405}


# Fixtures: the clerk (``acme_clerk``, in tests/conftest.py), and Globex's books.


@pytest.fixture
def clerk_client(client, acme_clerk):
    client.force_login(acme_clerk)
    client.raise_request_exception = False  # a server error is one more wrong answer in the list
    return client


@pytest.fixture(params=["Acme only", "no website"])
def outsider_client(request, client, site_a):
    """A clerk with every invoicing permission, and billing access to Acme only, or to no website."""
    sites = [site_a] if request.param == "Acme only" else []
    client.force_login(billing_staff(*sites, username="outsider", permissions=EVERY_BILLING_PERMISSION))
    client.raise_request_exception = False
    return client


@pytest.fixture
def globex(site_b, admin_user, django_capture_on_commit_callbacks):
    """Globex's books, written through the services, the way the admin and Stripe would."""
    client = ClientFactory(site=site_b, name="Globex Secret Customer", email="secret-customer@globex.example")
    draft = draft_invoice(site_b, client=client, title="Globex secret draft", currency="USD")
    unpaid, _ = open_invoice(site_b, client=client, title="Globex unpaid work", currency="USD")
    paid, _ = open_invoice(
        site_b, client=client, title="Globex paid work", currency="USD", lines=[line(unit_price="987654.32")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment = record_manual_payment(paid, reason="Bank transfer", by=admin_user).payment
        record_refund(payment, amount=Decimal("10.00"), provider_reference="re_globex", by=admin_user)
        send_invoice_email(unpaid, EmailKind.INVOICE, by=admin_user)
    # Globex's clerk may read its invoices: the job that makes the ZIP checks it again as it runs.
    globex_clerk = billing_staff(site_b, username="globex-clerk", permissions=("view_invoice",))
    start_bulk_job("issue", [draft], by=globex_clerk)
    run_bulk_job(start_bulk_job("download_pdfs", [unpaid, paid], by=globex_clerk).pk)  # a ZIP to download
    StripeEvent.objects.create(
        event_id="evt_globex_secret",
        type="payment_intent.payment_failed",
        site=site_b,
        invoice=unpaid,
        payload={"id": "evt_globex_secret", "type": "payment_intent.payment_failed"},
        status=StripeEvent.Status.FAILED,
        error="Card declined",
    )
    unpaid.refresh_from_db()
    paid.refresh_from_db()
    return {"site": site_b, "client": client, "draft": draft, "unpaid": unpaid, "paid": paid}


def markers(globex):
    """Text that only Globex's objects put on a page."""
    return [
        "Globex Secret Customer",
        "secret-customer@globex.example",
        "Globex secret draft",
        "Globex unpaid work",
        "Globex paid work",
        globex["unpaid"].number,
        globex["paid"].number,
        # Globex's paid amount (987,654.32), alone or in a sum (987,754.32 invoiced), or exported.
        "987,",
        "987654",
        "evt_globex_secret",
    ]


# The URL resolver, walked.


def admin_urls():
    """(name, kwargs names, pattern) for every admin URL of the invoicing module."""

    def walk(patterns, route, namespace, kwargs):
        for pattern in patterns:
            names = kwargs | set(getattr(pattern.pattern, "converters", {})) | set(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                yield from walk(pattern.url_patterns, route + str(pattern.pattern), inner or None, names)
            elif pattern.name:
                yield ":".join(filter(None, [namespace, pattern.name])), route + str(pattern.pattern), names, pattern

    for name, route, names, pattern in walk(get_resolver().url_patterns, "", None, set()):
        if route.startswith("admin/") and (
            "invoicing" in name or getattr(pattern, "lookup_str", "").startswith("invoicing.")
        ):
            yield name, names, pattern


def model_of(name, pattern):
    namespace = name.rpartition(":")[0]
    for prefix in ("wagtailsnippets_invoicing_", "wagtailsnippetchoosers_invoicing_"):
        if namespace.startswith(prefix):
            return apps.get_model("invoicing", namespace.removeprefix(prefix))
    if namespace in URL_MODELS:
        return URL_MODELS[namespace]
    callback = inspect.unwrap(pattern.callback)  # Wagtail wraps hooked admin URLs in its access check.
    model = (
        getattr(callback, "view_initkwargs", {}).get("model")
        or getattr(getattr(callback, "view_class", None), "model", None)
        or getattr(getattr(callback, "__self__", None), "model", None)
    )
    return apps.get_model(model) if isinstance(model, str) else model


def rows_of(model, site):
    for path in SITE_PATHS:
        try:
            return model._default_manager.filter(**{path: site})
        except FieldError:
            continue
    return model._default_manager.all()


def object_urls(globex):
    """(URL, model) for every admin URL that names an object, once per Globex object of its model."""
    urls, unknown = [], []
    for name, kwarg_names, pattern in admin_urls():
        if not kwarg_names:
            continue
        model = model_of(name, pattern)
        if model is None:
            unknown.append(name)
            continue
        for pk in rows_of(model, globex["site"]).values_list("pk", flat=True):
            urls.append((reverse(name, kwargs=dict.fromkeys(kwarg_names, pk)), name))
    assert not unknown, f"Say which model these URLs take in URL_MODELS: {unknown}"
    return urls


def plain_urls():
    return [reverse(name) for name, kwarg_names, _ in admin_urls() if not kwarg_names]


def snapshot():
    """Every row of the module, and the websites and group grants: what no refused request may change."""
    tables = {model._meta.label: model for model in apps.get_app_config("invoicing").get_models()}
    tables["wagtailcore.Site"] = Site
    return {label: list(model._default_manager.order_by("pk").values()) for label, model in tables.items()}


def text_of(response):
    """A response's text, with spreadsheets opened: an XLSX export is a ZIP of XML."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in response.get("Content-Type", ""):
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        return "\n".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row)
    return content.decode("utf-8", errors="replace")


def leaked(response, globex, query=None):
    """The Globex markers on the page, but for those that the request itself carried (a search
    box shows its own query)."""
    text = text_of(response).lower()
    asked = str(query or "").lower()
    return [marker for marker in markers(globex) if marker.lower() in text and marker.lower() not in asked]


# The matrix.


def test_every_object_url_answers_404_or_403_for_another_websites_objects(outsider_client, globex):
    urls = object_urls(globex)
    assert len({name for _, name in urls}) >= 10, "the resolver walk found too few URLs to be a matrix"
    before = snapshot()

    wrong = []
    for url, _ in urls:
        for method in ("get", "post"):
            response = getattr(outsider_client, method)(url, POST_DATA if method == "post" else None)
            if response.status_code not in (REFUSED_POST if method == "post" else REFUSED):
                wrong.append(f"{method.upper()} {url} → {response.status_code}")
    assert not wrong, "The clerk reached Globex's objects:\n" + "\n".join(wrong)
    assert snapshot() == before


def test_an_id_that_is_not_one_answers_404(clerk_client):
    for name in ("wagtailsnippetchoosers_invoicing_client:chosen", "wagtailsnippetchoosers_invoicing_invoice:chosen"):
        assert clerk_client.get(reverse(name, args=["not-a-number"])).status_code == 404


def test_the_superuser_reaches_the_same_urls(admin_client, globex):
    """The other side of the matrix: the URLs are filled in with objects that exist, so each 404
    above came from the scoping, not from a wrong id."""
    reached = {}
    for url, name in object_urls(globex):
        reached[name] = reached.get(name, False) or admin_client.get(url).status_code != 404
    assert [name for name, ok in reached.items() if not ok] == []


def listing_queries(globex):
    """What a curious clerk puts in a listing's, a chooser's or an export's query string."""
    return [
        {},
        {"q": "Globex"},
        {"q": globex["unpaid"].number},
        {"q": "secret-customer"},
        {"site": globex["site"].pk},
        {"client": globex["client"].pk},
        {"export": "csv"},
        {"export": "xlsx"},
        {"id": [globex["draft"].pk, globex["unpaid"].pk, globex["client"].pk]},
    ]


def test_listings_searches_filters_exports_and_forms_show_nothing_of_another_website(outsider_client, globex):
    before = snapshot()
    wrong = []
    for url in plain_urls():
        for query in listing_queries(globex):
            response = outsider_client.get(url, query)
            shown = leaked(response, globex, query) if response.status_code == 200 else []
            if shown:
                wrong.append(f"GET {url} {query} → {shown}")
    assert not wrong, "Globex showed through:\n" + "\n".join(wrong)
    assert snapshot() == before


def test_listing_queries_never_answer_a_server_error(clerk_client, globex):
    """A tampered query string gets a listing, maybe empty, or a refusal: never a 500."""
    errors = [
        f"GET {url} {query}"
        for url in plain_urls()
        for query in listing_queries(globex)
        if clerk_client.get(url, query).status_code >= 500
    ]
    assert not errors, "Server errors:\n" + "\n".join(errors)


def test_forms_refuse_to_create_anything_on_another_website(outsider_client, globex):
    """Every add form, chooser creation form and listing, posted with Globex as the website, Globex's
    client and Globex's invoice: nothing is written."""
    data = {
        **POST_DATA,
        "site": globex["site"].pk,
        "client": globex["client"].pk,
        "invoice": globex["unpaid"].pk,
        "name": "Planted",
        "email": "planted@example.com",
        "title": "Planted",
        "currency": "USD",
    }
    before = snapshot()
    for url in plain_urls():
        outsider_client.post(url, data)
    assert snapshot() == before


def test_the_superuser_sees_every_website_in_the_same_places(admin_client, globex):
    """The markers would show: a superuser's listing, search, export and chooser carry them."""
    invoices = reverse("wagtailsnippets_invoicing_invoice:list")
    assert globex["unpaid"].number in admin_client.get(invoices).content.decode()
    assert globex["paid"].number in admin_client.get(invoices, {"q": globex["paid"].number}).content.decode()
    export = admin_client.get(invoices, {"export": "csv"})
    assert globex["unpaid"].number in text_of(export)
    clients_chooser = reverse("wagtailsnippetchoosers_invoicing_client:choose")
    assert "Globex Secret Customer" in admin_client.get(clients_chooser).content.decode()
    assert "987," in admin_client.get(reverse("wagtailadmin_home")).content.decode()  # the dashboard's sums


def test_the_dashboard_shows_nothing_of_another_website(outsider_client, globex):
    response = outsider_client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    assert not leaked(response, globex)


def test_wagtails_site_history_shows_nothing_of_another_website(clerk_client, admin_user, globex):
    superuser = BrowserClient()
    superuser.force_login(admin_user)
    data = {"site": globex["site"].pk, "name": "Admin-made Globex Customer", "email": "made@globex.example"}
    assert superuser.post(reverse("wagtailsnippets_invoicing_client:add"), data).status_code == 302
    assert "Admin-made Globex Customer" in text_of(superuser.get(reverse("wagtailadmin_reports:site_history")))
    body = clerk_client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
    assert "Admin-made Globex Customer" not in body


def test_the_export_lists_only_the_users_websites(clerk_client, globex, site_a):
    mine, _ = open_invoice(site_a, title="Acme work")
    response = clerk_client.get(reverse("wagtailsnippets_invoicing_invoice:list"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(text_of(response))))
    body = "\n".join(",".join(row) for row in rows)
    assert mine.number in body
    assert not leaked(response, globex)


def test_bulk_actions_on_another_websites_objects_are_refused(outsider_client, globex):
    before = snapshot()
    wrong = []
    for model in apps.get_app_config("invoicing").get_models():
        ids = list(rows_of(model, globex["site"]).values_list("pk", flat=True))
        for action in bulk_action_registry.get_bulk_actions_for_model("invoicing", model._meta.model_name):
            url = reverse("wagtail_bulk_action", args=["invoicing", model._meta.model_name, action.action_type])
            for selection in ([str(pk) for pk in ids], ["all"]):
                query = "&".join(f"id={pk}" for pk in selection)
                for method in ("get", "post"):
                    response = getattr(outsider_client, method)(
                        f"{url}?{query}", POST_DATA if method == "post" else None
                    )
                    if response.status_code not in REFUSED:
                        wrong.append(f"{method.upper()} {url}?{query} → {response.status_code}")
    assert not wrong, "Bulk actions reached Globex's objects:\n" + "\n".join(wrong)
    assert snapshot() == before


def test_select_all_in_a_bulk_action_selects_the_users_websites_only(clerk_client, globex, site_a):
    mine = ClientFactory(site=site_a, name="Acme Customer")
    url = reverse("wagtail_bulk_action", args=["invoicing", "client", "delete"]) + "?id=all"
    confirmation = clerk_client.get(url)
    assert confirmation.status_code == 200
    assert "Acme Customer" in confirmation.content.decode()
    assert not leaked(confirmation, globex)

    clerk_client.post(url)
    assert not Client.objects.filter(pk=mine.pk).exists()
    assert Client.objects.filter(pk=globex["client"].pk).exists()


def test_the_chooser_offers_only_the_users_clients(clerk_client, globex, site_a):
    mine = ClientFactory(site=site_a, name="Acme Customer")
    for name in ("choose", "choose_results"):
        for query in ({}, {"q": "Customer"}):
            body = clerk_client.get(reverse(f"wagtailsnippetchoosers_invoicing_client:{name}"), query).content.decode()
            assert "Acme Customer" in body
            assert "Globex Secret Customer" not in body
    chosen = reverse("wagtailsnippetchoosers_invoicing_client:chosen", args=[mine.pk])
    assert clerk_client.get(chosen).status_code == 200


# Forms: the website and the client are checked on the server.


def invoice_form_data(site, client, **extra):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    return nested_form_data(
        {
            "site": site.pk,
            "client": client.pk,
            "title": "Posted invoice",
            "description": "",
            "currency": "EUR",
            "due_date": "2030-01-31",
            "lines": inline_formset([{"description": "Work", "quantity": "1", "unit_price": "10.00", "tax_rate": "0"}]),
            **extra,
        }
    )


def test_the_invoice_form_offers_only_the_users_websites_and_clients(clerk_client, globex, site_a):
    mine = ClientFactory(site=site_a)
    form = clerk_client.get(reverse("wagtailsnippets_invoicing_invoice:add")).context["form"]
    assert list(form.fields["site"].queryset) == [site_a]
    assert list(form.fields["client"].queryset) == [mine]


@pytest.mark.parametrize("which", ["globex_site", "globex_client"])
def test_an_invoice_cannot_be_created_for_another_website_or_its_client(clerk_client, globex, site_a, which):
    mine = ClientFactory(site=site_a)
    site, client = (globex["site"], mine) if which == "globex_site" else (site_a, globex["client"])
    count = Invoice.objects.count()
    response = clerk_client.post(reverse("wagtailsnippets_invoicing_invoice:add"), invoice_form_data(site, client))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not leaked(response, globex)  # the form shown again does not name Globex's client
    assert Invoice.objects.count() == count


def test_a_client_of_one_website_cannot_be_billed_on_another_even_by_a_superuser(admin_client, globex, site_a):
    count = Invoice.objects.count()
    response = admin_client.post(
        reverse("wagtailsnippets_invoicing_invoice:add"), invoice_form_data(site_a, globex["client"])
    )
    assert response.status_code == 200
    assert "belongs to another website" in str(response.context["form"].errors["client"])
    assert Invoice.objects.count() == count


def test_a_client_cannot_be_created_on_another_website(clerk_client, globex):
    data = {"site": globex["site"].pk, "name": "Planted", "email": "planted@example.com", "billing_address": ""}
    response = clerk_client.post(reverse("wagtailsnippets_invoicing_client:add"), data)
    assert response.status_code == 200
    assert not Client.objects.filter(name="Planted").exists()


def test_billing_settings_of_another_website_are_out_of_reach(clerk_client, site_a, globex):
    """Wagtail lets the model-wide "change billing settings" permission reach every website."""
    settings_url = "wagtailsettings:edit"
    globex_url = reverse(settings_url, args=["invoicing", "billingsettings", globex["site"].pk])
    before = snapshot()
    for response in (clerk_client.get(globex_url), clerk_client.post(globex_url, {"number_prefix": "HACK"})):
        # Wagtail answers a refused setting with its "no permission" redirect to the dashboard.
        assert response.status_code in REFUSED or response.get("Location") == reverse("wagtailadmin_home")
    assert snapshot() == before
    assert BillingSettings.for_site(globex["site"]).number_prefix == "GLX"
    acme_url = reverse(settings_url, args=["invoicing", "billingsettings", site_a.pk])
    assert clerk_client.get(acme_url).status_code == 200


# Permissions allow, websites narrow.


def test_permissions_without_any_website_show_an_empty_listing_and_404s(client, globex):
    client.force_login(billing_staff(username="no-website", permissions=EVERY_BILLING_PERMISSION))
    listing = client.get(reverse("wagtailsnippets_invoicing_invoice:list"))
    assert listing.status_code == 200
    assert not leaked(listing, globex)
    assert listing.context["page_obj"].paginator.count == 0
    inspect = reverse("wagtailsnippets_invoicing_invoice:inspect", args=[globex["unpaid"].pk])
    assert client.get(inspect).status_code == 404


def test_a_website_without_permissions_opens_nothing(client, site_b, globex):
    client.force_login(billing_staff(site_b, username="no-permission", permissions=()))
    response = client.get(reverse("wagtailsnippets_invoicing_invoice:inspect", args=[globex["unpaid"].pk]))
    assert response.status_code in {302, 403}  # Wagtail sends people without admin access to its login


def test_a_clerk_creates_and_edits_invoices_of_their_own_website(clerk_client, acme_clerk, site_a):
    mine = ClientFactory(site=site_a)
    response = clerk_client.post(reverse("wagtailsnippets_invoicing_invoice:add"), invoice_form_data(site_a, mine))
    assert response.status_code == 302
    invoice = Invoice.objects.get(title="Posted invoice")
    assert (invoice.site, invoice.client) == (site_a, mine)
    edit = reverse("wagtailsnippets_invoicing_invoice:edit", args=[invoice.pk])
    assert clerk_client.get(edit).status_code == 200


def test_a_clerk_of_both_websites_sees_both(client, site_a, globex):
    mine, _ = open_invoice(site_a, title="Acme work")
    client.force_login(billing_staff(site_a, globex["site"], username="both", permissions=EVERY_BILLING_PERMISSION))
    body = client.get(reverse("wagtailsnippets_invoicing_invoice:list")).content.decode()
    assert mine.number in body and globex["unpaid"].number in body
    inspect = reverse("wagtailsnippets_invoicing_invoice:inspect", args=[globex["unpaid"].pk])
    assert client.get(inspect).status_code == 200


def test_the_site_filter_offers_only_the_users_websites(clerk_client, site_a, globex):
    response = clerk_client.get(reverse("wagtailsnippets_invoicing_invoice:list"))
    choices = response.context["filters"].form.fields["site"].queryset
    assert list(choices) == [site_a]
    assert not re.search(r"globex", response.content.decode(), re.IGNORECASE)


def test_billing_staff_are_not_shown_every_user_account(clerk_client, admin_user, site_a):
    """Users are not per website: the client form's "linked user" is for those who manage users."""
    UserFactory(username="someone-elses-customer", email="private@elsewhere.example")
    for url in (
        reverse("wagtailsnippets_invoicing_client:add"),
        reverse("wagtailsnippets_invoicing_client:edit", args=[ClientFactory(site=site_a).pk]),
    ):
        body = text_of(clerk_client.get(url))
        assert 'name="name"' in body
        assert "someone-elses-customer" not in body and "private@elsewhere.example" not in body
    superuser = BrowserClient()
    superuser.force_login(admin_user)
    assert "someone-elses-customer" in text_of(superuser.get(reverse("wagtailsnippets_invoicing_client:add")))
