"""The pay page's token routes take a shortcut to the page (``pay.routing``) with the website's
cached front (``services.fronts``): few queries, and never a stale answer where it matters."""

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail import hooks
from wagtail.models import Page, PageViewRestriction

from invoicing.models import InvoiceEmailTemplatePage, PayPage
from invoicing.services.payments import record_manual_payment
from tests.factories import make_website, open_invoice

# The budget: the pay page GET in at most 5 queries, a bad token's 404 in at most 2.
PAY_PAGE_QUERIES = 5
BAD_TOKEN_QUERIES = 2


def get(client, url):
    parts = urlsplit(url)
    return client.get(parts.path, HTTP_HOST=parts.netloc)


def counted_get(client, url):
    get(client, url)  # the website's front is cached by the first request
    with CaptureQueriesContext(connection) as queries:
        response = get(client, url)
    return response, len(queries)


@pytest.fixture
def issued(site_a):
    return open_invoice(site_a, title="Quarterly hosting")


def test_the_pay_page_costs_at_most_five_queries(client, issued):
    response, queries = counted_get(client, issued[1].url)
    assert response.status_code == 200 and "Quarterly hosting" in response.content.decode()
    assert queries <= PAY_PAGE_QUERIES


def test_a_site_on_another_port_than_the_servers_is_cached_too(client, db):
    # Behind a proxy, the Site says 8443 (its public port) while the app server sees port 80.
    _, link = open_invoice(make_website("shop.test", port=8443))
    response, queries = counted_get(client, link.url)
    assert response.status_code == 200 and queries <= PAY_PAGE_QUERIES


def test_a_bad_tokens_404_costs_at_most_two_queries(client, issued):
    response, queries = counted_get(client, issued[1].url[:-6] + "AAAAA/")
    assert response.status_code == 404
    assert queries <= BAD_TOKEN_QUERIES


def test_an_invoice_paid_meanwhile_shows_paid_at_once(client, issued):
    invoice, link = issued
    assert "card-form" in get(client, link.url).content.decode()
    record_manual_payment(invoice, reason="Bank transfer", by=None)
    body = get(client, link.url).content.decode()
    assert "Thank you!" in body and "card-form" not in body


def test_the_branding_an_editor_publishes_shows_at_once(client, issued, site_a):
    get(client, issued[1].url)
    branding = InvoiceEmailTemplatePage.objects.get(slug="emails", depth=site_a.root_page.depth + 1)
    branding.brand_color = "#abcdef"
    branding.save_revision().publish()
    assert "--brand: #abcdef" in get(client, issued[1].url).content.decode()


def test_an_unpublished_pay_page_answers_no_more(client, issued, site_a):
    assert get(client, issued[1].url).status_code == 200
    PayPage.objects.descendant_of(site_a.root_page).get().unpublish()
    assert get(client, issued[1].url).status_code == 404


def test_a_renamed_pay_page_answers_on_its_new_path_only(client, issued, site_a):
    _, link = issued
    assert get(client, link.url).status_code == 200
    page = PayPage.objects.descendant_of(site_a.root_page).get()
    page.slug = "settle"
    page.save_revision().publish()
    assert get(client, link.url).status_code == 404
    assert get(client, link.url.replace("/pay/", "/settle/")).status_code == 200


def test_view_restrictions_still_apply(client, issued, site_a):
    assert get(client, issued[1].url).status_code == 200
    page = PayPage.objects.descendant_of(site_a.root_page).get()
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.PASSWORD, password="s3cret")
    response = get(client, issued[1].url)
    assert response.status_code == 200 and 'name="password"' in response.content.decode()
    assert "Quarterly hosting" not in response.content.decode()


def test_the_projects_serve_hooks_still_run(client, issued):
    served = []

    def before_serve(page, request, args, kwargs):
        served.append(page.specific_class)

    with hooks.register_temporarily("before_serve_page", before_serve):
        assert get(client, issued[1].url).status_code == 200
    assert served == [PayPage]


def test_another_page_on_a_path_that_looks_like_a_token_route_is_wagtails(client, site_a):
    home = site_a.root_page
    section = home.add_child(instance=Page(title="Invoice", slug="invoice"))
    section.add_child(instance=Page(title="How we invoice", slug="how-we-invoice"))
    response = client.get("/invoice/how-we-invoice/", HTTP_HOST=site_a.hostname)
    assert response.status_code == 200 and "How we invoice" in response.content.decode()


def test_another_websites_host_gets_its_own_pay_page(client, issued, site_b):
    # Site B also has a pay page at /pay/, but the token belongs to site A: the same 404 as any.
    parts = urlsplit(issued[1].url)
    assert client.get(parts.path, HTTP_HOST=site_b.hostname).status_code == 404


def test_a_failing_cache_leaves_the_pay_page_up(client, issued, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    for method in ("get", "set", "add"):
        monkeypatch.setattr(cache, method, broken)
    response = get(client, issued[1].url)
    assert response.status_code == 200 and "Quarterly hosting" in response.content.decode()
