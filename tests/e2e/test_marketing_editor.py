"""Acme's marketing editor, as ``invoicing_roles`` makes the role, in a real browser: they find
Acme's Invoice emails page, change the reminder's wording, preview it and publish it; Globex's page,
the invoices and the money are nowhere in their admin, and typing their URLs is refused."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from invoicing.core.roles import Role
from invoicing.models import InvoiceEmailTemplatePage, SiteRole
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "brand-the-emails"  # noqa: S105 - a throwaway test user
NEW_BODY = "Hello {client_name}, a gentle nudge from Acme: {amount_due} is still open."
NEW_BUTTON = "Settle it in a minute"

# Every item the module adds to the admin menu (viewsets, the payments ledger, reports, settings),
# and Wagtail's Settings menu, where Settings → Billing and the roles' overview live.
BILLING_MENU_ITEMS = (
    "Invoices",
    "Clients",
    "Credit notes",
    "Discount codes",
    "Tax rates",
    "Invoice templates",
    "Recurring",
    "Emails",
    "Payments",
    "Refunds",
    "Stripe events",
    "Billing",
    "Who can do what",
    "Settings",
)


def titled(site, title):
    page = InvoiceEmailTemplatePage.objects.descendant_of(site.root_page).get()
    page.title = title
    page.save_revision().publish()
    return page


@pytest.fixture
def acme_editor(websites):
    """Both websites' roles, as the command makes them, and a user in Acme's Marketing editor group."""
    titled(websites.a, "Acme invoice emails")
    titled(websites.b, "Globex invoice emails")
    call_command("invoicing_roles", stdout=StringIO(), stderr=StringIO())
    user = UserFactory(username="acme-editor", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(SiteRole.objects.get(site=websites.a, role=Role.MARKETING_EDITOR).group)
    return user


def log_in(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "acme-editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")


def test_the_acme_editor_rewords_previews_and_publishes_the_reminder(
    page, live_server, websites, acme_editor, settings
):
    # The preview is refreshed by its button, once: Wagtail's auto-update posts the form every
    # half second, and those requests would race each other on the tests' in-memory SQLite.
    settings.WAGTAIL_AUTO_UPDATE_PREVIEW_INTERVAL = 0
    acme_page = InvoiceEmailTemplatePage.objects.descendant_of(websites.a.root_page).get()
    log_in(page, live_server)

    # The page explorer starts at the one page they may edit.
    page.goto(f"{live_server.url}/admin/pages/")
    expect(page.locator("h1")).to_contain_text("Acme invoice emails")
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/admin/pages/{acme_page.pk}/edit/")

    page.get_by_role("tab", name="Reminder", exact=True).click()
    body = page.locator('[data-contentpath="reminder_body"] [contenteditable="true"]')
    body.click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(NEW_BODY)
    # Draftail writes its hidden input a moment after the keys.
    expect(page.locator("input[name=reminder_body]")).to_have_value(re.compile("a gentle nudge from Acme"))
    page.locator("#id_reminder_button_label").fill(NEW_BUTTON)

    page.click('[data-side-panel-toggle="preview"]')
    page.select_option("#id_preview_mode", "reminder")
    page.locator(".w-preview__refresh-button").click()
    email = page.frame_locator("#w-preview-iframe").locator('.card[data-kind="reminder"]')
    expect(email).to_contain_text("Hello Jane Example, a gentle nudge from Acme:")  # the sample invoice
    expect(email.locator("a.button")).to_have_text(NEW_BUTTON)

    page.locator("footer [data-w-dropdown-target=toggle]").click()
    page.locator('button[name="action-publish"]').click()
    expect(page.locator(".messages")).to_contain_text("published")

    published = InvoiceEmailTemplatePage.objects.get(pk=acme_page.pk)
    assert published.live and not published.has_unpublished_changes
    assert NEW_BODY in published.reminder_body and published.reminder_button_label == NEW_BUTTON
    assert published.live_revision.as_object().reminder_button_label == NEW_BUTTON


def test_the_acme_editor_sees_nothing_of_globex_nor_of_billing(page, live_server, websites, acme_editor):
    globex_page = InvoiceEmailTemplatePage.objects.descendant_of(websites.b.root_page).get()
    log_in(page, live_server)

    menu = page.locator("[data-wagtail-sidebar] .menuitem-label")
    expect(menu.filter(has_text=re.compile("^Pages$"))).to_have_count(1)  # the menu is drawn
    labels = {label.strip() for label in menu.all_inner_texts()}
    assert labels.isdisjoint(BILLING_MENU_ITEMS), labels & set(BILLING_MENU_ITEMS)

    page.goto(f"{live_server.url}/admin/pages/search/?q=invoice+emails")
    results = page.locator("#listing-results")
    expect(results).to_contain_text("Acme invoice emails")
    expect(results).not_to_contain_text("Globex")

    # Typed in: Wagtail's "permission denied", a redirect to the dashboard with its message.
    for refused in (f"/admin/pages/{globex_page.pk}/edit/", "/admin/snippets/invoicing/invoice/"):
        response = page.goto(f"{live_server.url}{refused}")
        assert response.request.redirected_from.url == f"{live_server.url}{refused}"
        expect(page).to_have_url(f"{live_server.url}/admin/")
        expect(page.locator(".messages")).to_contain_text("Sorry, you do not have permission to access this area.")
