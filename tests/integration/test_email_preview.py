"""Wagtail's preview of the template page: one mode per email kind, the real email for a sample
invoice of the page's site, the editor's unsaved wording, and nothing written."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from wagtail.models import Site

from invoicing.models import InvoiceEmailTemplatePage
from tests.page_forms import page_form_data

pytestmark = pytest.mark.django_db


def invoicing_row_counts():
    return {model.__name__: model.objects.count() for model in apps.get_app_config("invoicing").get_models()}


def preview(client, page, user, mode, **changes):
    url = f"/admin/pages/{page.pk}/edit/preview/"
    stored = client.post(url, page_form_data(page, user, **changes))
    assert stored.json()["is_valid"], stored.content
    response = client.get(url, {"mode": mode})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("hostname", "colour", "texts"),
    [
        (
            "acme.localhost",
            "#1d4ed8",
            {
                "invoice": "Pay invoice",
                "reminder": "Settle now",
                "receipt": "Kind regards, the Acme Corp team",
                "charge_failed": "it did not go through: Your card was declined.",
            },
        ),
        (
            "globex.localhost",
            "#047857",
            {
                "invoice": "Review and pay",
                "reminder": "Pay the balance",
                "receipt": "Globex Accounts Receivable",
                "charge_failed": "it did not go through: Your card was declined.",
            },
        ),
    ],
)
def test_each_preview_mode_shows_that_kind_of_email_for_the_sites_sample(
    demo, admin_user, admin_client, hostname, colour, texts
):
    site = Site.objects.get(hostname=hostname)
    page = InvoiceEmailTemplatePage.for_site(site)
    # One mode per kind (then the reminder steps' own modes, "reminder:<step>").
    kinds = [mode for mode, _ in page.preview_modes if ":" not in mode]
    assert kinds == ["invoice", "reminder", "receipt", "charge_failed"] == list(texts)
    before = invoicing_row_counts()
    for mode, text in texts.items():
        html = preview(admin_client, page, admin_user, mode)
        assert f'data-kind="{mode}"' in html and text in html
        assert "Jane Example" in html and "SAMPLE" in html
        assert f"background: {colour}" in html and "<style" not in html
        assert ("/pay/invoice/INV-SAMPLE-" in html) == (mode != "receipt")
    assert invoicing_row_counts() == before


def test_the_preview_shows_the_unsaved_wording_and_saves_nothing(site_a, admin_user, admin_client):
    page = InvoiceEmailTemplatePage.objects.get()
    html = preview(admin_client, page, admin_user, "reminder", reminder_body="<p>Draft reminder for {client_name}</p>")
    assert "Draft reminder for Jane Example" in html
    page.refresh_from_db()
    assert "Draft reminder" not in page.reminder_body and not page.has_unpublished_changes


def test_the_template_page_is_not_publicly_viewable(site_a, client):
    page = InvoiceEmailTemplatePage.objects.get()
    assert page.live
    assert client.get(page.url_path.replace("/acme/", "/", 1), HTTP_HOST="acme.test").status_code == 404
