"""Marketing previews each email kind of a site's template page in the Wagtail editor. The
screenshots go to tests/e2e/artifacts/ for people to look at."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from invoicing.models import InvoiceEmailTemplatePage
from tests.factories import UserFactory, make_website

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.django_db(transaction=True)

BUTTONS = {"invoice": "Pay your Acme invoice", "reminder": "Pay before it is late", "receipt": None}


@pytest.fixture
def editor(live_server):
    site = make_website("acme.localhost", port=urlsplit(live_server.url).port, prefix="ACME")
    template = InvoiceEmailTemplatePage.for_site(site)
    template.invoice_button_label = BUTTONS["invoice"]
    template.reminder_button_label = BUTTONS["reminder"]
    template.receipt_body = "<p>Thank you, {client_name}, for paying {invoice_number}.</p>"
    template.save_revision().publish()
    user = UserFactory(username="marketing", is_staff=True, is_superuser=True)
    user.set_password("preview-the-emails")
    user.save()
    return template


def test_each_email_kind_is_previewed_in_the_editor(page, live_server, editor):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "marketing")
    page.fill("input[name=password]", "preview-the-emails")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/pages/{editor.pk}/edit/")
    page.click('[data-side-panel-toggle="preview"]')
    ARTIFACTS.mkdir(exist_ok=True)
    for mode, button in BUTTONS.items():
        page.select_option("#id_preview_mode", mode)
        email = page.frame_locator("#w-preview-iframe").locator(f'.card[data-kind="{mode}"]')
        expect(email).to_be_visible()
        expect(email).to_contain_text("Jane Example")  # the sample invoice's client
        header = email.locator(".header")
        assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(18, 52, 86)"  # #123456
        if button:
            expect(email.locator("a.button")).to_have_text(button)
        else:
            expect(email).to_contain_text("Thank you, Jane Example, for paying ACME-SAMPLE.")
            expect(email.locator("a.button")).to_have_count(0)
        page.locator("#w-preview-iframe").screenshot(path=ARTIFACTS / f"acme-email-{mode}.png")
        assert (ARTIFACTS / f"acme-email-{mode}.png").stat().st_size > 5_000
