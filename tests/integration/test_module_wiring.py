"""What a project gets by installing the module: its system checks, the site set-up command, the
pay pages in the project's own base template, no token in any log, numbers without INV-INV-."""

import json
import logging
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from wagtail.models import Page, Site

from invoicing import checks
from invoicing.conf import LOCALSTRIPE_WEBHOOK_SECRET, invoicing_settings
from invoicing.models import (
    BillingAccountPage,
    BillingSettings,
    Invoice,
    InvoiceEmailTemplatePage,
    PayPage,
    StripeEvent,
)
from tests.factories import make_website, open_invoice, page_tree_root
from tests.localstripe import stripe_signature

pytestmark = pytest.mark.django_db


def ids(messages):
    return [message.id for message in messages]


def test_a_missing_app_is_named(monkeypatch):
    assert checks.check_required_apps() == []
    monkeypatch.setattr(checks, "INVOICING_APPS", [*checks.INVOICING_APPS, "not_installed_app"])
    [error] = checks.check_required_apps()
    assert error.id == "invoicing.E001" and "not_installed_app" in error.msg and "INVOICING_APPS" in error.hint


def test_stripe_keys_are_required_outside_debug(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True
    assert "invoicing.E002" not in ids(checks.check_stripe_keys())  # localstripe, on this machine
    settings.DEBUG = False
    assert "invoicing.E002" in ids(checks.check_stripe_keys())


@pytest.mark.parametrize("webhook_secret", ["", LOCALSTRIPE_WEBHOOK_SECRET])
def test_real_stripe_needs_its_own_webhook_secret(settings, webhook_secret):
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.STRIPE_OFFLINE_JS = None
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_WEBHOOK_SECRET = webhook_secret
    assert ids(checks.check_stripe_keys()) == ["invoicing.E003"]
    settings.STRIPE_WEBHOOK_SECRET = "whsec_from_the_dashboard"
    assert checks.check_stripe_keys() == []


def test_outside_debug_localstripes_public_secret_opens_no_webhook(client, settings, site_a):
    """A production site left without Stripe settings: anyone can sign with localstripe's secret."""
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_OFFLINE_JS = None
    invoice, _link = open_invoice(site_a)
    intent = {"id": "pi_forged", "object": "payment_intent", "status": "succeeded", "amount": 10000}
    intent["metadata"] = {"invoice_id": str(invoice.pk), "site_id": str(site_a.pk)}
    body = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": intent}}).encode()

    response = client.post(
        "/api/v1/order-payments/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, LOCALSTRIPE_WEBHOOK_SECRET),
    )

    assert response.status_code == 400 and not StripeEvent.objects.exists()
    settings.DEBUG = True  # on a developer's machine, localstripe's own deliveries are welcome
    assert invoicing_settings.stripe_webhook_secret == LOCALSTRIPE_WEBHOOK_SECRET


def test_an_email_backend_that_delivers_nothing_is_flagged_in_production(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.DEBUG = False
    assert ids(checks.check_email_backend()) == ["invoicing.W001"]
    settings.DEBUG = True
    assert checks.check_email_backend() == []
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    assert checks.check_email_backend() == []


def test_a_website_that_bills_without_a_live_pay_page_is_named(site_a):
    open_invoice(site_a)
    assert checks.check_client_pages() == []
    PayPage.objects.descendant_of(site_a.root_page).get().unpublish()
    [warning] = checks.check_client_pages()
    assert warning.id == "invoicing.W002" and "acme.test" in warning.msg
    assert warning.hint == "Run: manage.py invoicing_setup_site acme.test"


def test_a_website_with_client_accounts_on_but_no_live_account_page_is_named(site_a):
    open_invoice(site_a)
    BillingAccountPage.objects.descendant_of(site_a.root_page).get().unpublish()
    [warning] = checks.check_client_pages()
    assert warning.id == "invoicing.W005" and "acme.test" in warning.msg and "cannot sign in" in warning.msg
    BillingSettings.objects.filter(site=site_a).update(account_page_enabled=False)
    assert checks.check_client_pages() == []


def test_a_per_process_cache_is_flagged_in_production(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    [warning] = checks.check_shared_cache()
    assert warning.id == "invoicing.W004" and "rate limits" in warning.msg
    settings.DEBUG = True
    assert checks.check_shared_cache() == []
    settings.DEBUG = False
    shared = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379"}
    settings.CACHES = {"default": shared}
    assert checks.check_shared_cache() == []
    settings.CACHES = {"default": shared, "limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.INVOICING_RATE_LIMIT_CACHE = "limits"
    [warning] = checks.check_shared_cache()
    assert "'limits'" in warning.msg


def test_numbering_saved_before_it_was_validated_is_named(site_a):
    invoice, _link = open_invoice(site_a)
    assert checks.check_numbering() == []
    # As an older release let them be saved, and issued under:
    BillingSettings.objects.filter(site=site_a).update(number_prefix="GL X", number_format="{prefix}/{number}")
    Invoice.objects.filter(pk=invoice.pk).update(number="GL X-2026-00001")

    warnings = checks.check_numbering()

    assert ids(warnings) == ["invoicing.W003"] * 3
    prefix, number_format, issued = (warning.msg for warning in warnings)
    assert "acme.test" in prefix and "number prefix" in prefix and "letters, digits and dashes" in prefix
    assert "number format" in number_format
    assert "acme.test" in issued and "404" in issued


@pytest.fixture
def bare_site(db):
    """A website as a fresh Wagtail project has it: a home page, nothing of the module's."""
    home = page_tree_root().add_child(instance=Page(title="Home", slug="bare-home"))
    return Site.objects.create(hostname="bare.test", port=80, root_page=home, site_name="Bare")


def test_setting_a_site_up_makes_its_pages_once(bare_site, capsys):
    call_command("invoicing_setup_site", "bare.test")
    out = capsys.readouterr().out
    pay_page = PayPage.objects.descendant_of(bare_site.root_page).live().get()
    template = InvoiceEmailTemplatePage.for_site(bare_site)
    assert template is not None and pay_page.get_parent().pk == bare_site.root_page.pk
    assert "bare.test is ready for billing" in out and "http://bare.test/pay/" in out
    call_command("invoicing_setup_site", "bare.test")
    assert "Created" not in capsys.readouterr().out
    assert PayPage.objects.count() == 1 and InvoiceEmailTemplatePage.objects.count() == 1


def test_a_slug_in_use_is_not_a_failure(bare_site):
    bare_site.root_page.add_child(instance=Page(title="Pay", slug="pay"))  # some other page
    call_command("invoicing_setup_site", "bare.test")
    assert PayPage.objects.get().slug == "pay-2"


def test_an_unknown_host_names_the_sites_there_are(bare_site):
    with pytest.raises(CommandError, match="No Wagtail Site matches nowhere.test. Sites: bare.test:80"):
        call_command("invoicing_setup_site", "nowhere.test")


def test_an_issued_site_pays_through_the_page_the_command_made(bare_site, client):
    call_command("invoicing_setup_site", "bare.test")
    invoice, link = open_invoice(bare_site)
    response = client.get(urlsplit(link.url).path, HTTP_HOST="bare.test")
    assert response.status_code == 200 and invoice.number.encode() in response.content


def test_without_a_prefix_links_read_inv_and_the_number(db):
    site = make_website("plain.test", prefix="")
    invoice, link = open_invoice(site)
    assert invoice.number.startswith(f"{invoice.issued_at.year}-")
    assert f"/pay/invoice/INV-{invoice.number}-" in link.url


def test_the_pay_page_itself_shows_nothing(site_a, client):
    assert client.get("/pay/", HTTP_HOST="acme.test").status_code == 404


def test_the_pay_pages_can_live_in_the_projects_base_template(site_a, client, settings):
    _, link = open_invoice(site_a)
    settings.INVOICING_PAY_BASE_TEMPLATE = "base.html"  # the demo project's own (templates/base.html)
    page = client.get(urlsplit(link.url).path, HTTP_HOST="acme.test").content.decode()
    assert "css/site.css" in page  # the project's layout
    assert "invoicing/pay.css" in page and "--brand: #123456" in page and "invoicing/pay.js" in page
    settings.INVOICING_PAY_BASE_TEMPLATE = "invoicing/pay/base.html"
    assert "css/site.css" not in client.get(urlsplit(link.url).path, HTTP_HOST="acme.test").content.decode()


def test_a_csrf_refusal_on_a_token_route_logs_no_token(site_a, caplog):
    """Django logs the path of a CSRF refusal on a logger the project's LOGGING never names."""
    _, link = open_invoice(site_a)
    token = urlsplit(link.url).path.split("/")[3]
    browser = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.WARNING):
        response = browser.post(urlsplit(link.url).path + "card/", {}, HTTP_HOST="acme.test")
    assert response.status_code == 403
    assert "Forbidden (CSRF cookie not set.)" in caplog.text and "INV-[redacted]" in caplog.text
    assert token not in caplog.text
