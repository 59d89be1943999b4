"""The pages a client sees, checked for accessibility in a real browser: axe-core
(axe-playwright-python) finds no serious or critical violation on the pay page, its receipt, and
every page of the billing account; the sign-in form works with the keyboard alone and announces its
errors; and on a 375 px wide phone nothing but a table's own scrolling wrapper scrolls sideways.
Screenshots at phone and desktop sizes are kept as artifacts (their paths are printed)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from invoicing.services.sign_in import issue_sign_in_link

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKING_IMPACTS = ("serious", "critical")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
# localstripe's fake card widget stands in for Stripe's own iframe: its markup is not ours to fix.
NOT_OURS = {"exclude": [["#card-element"]]}

axe = Axe()


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {', '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def check_accessibility(page, name, *, context=None):
    """axe-core on the page as it is now: every violation is printed, and a serious or critical
    one fails the test, with its rule, impact and the elements it found."""
    page.wait_for_load_state("load")  # all of the page, not the part that was parsed when the last check passed
    results = axe.run(page, context=context)
    violations = results.response["violations"]
    if violations:
        print(f"axe on {name} ({page.url}):\n{describe(violations)}")
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe found serious or critical violations on {name} ({page.url}):\n{describe(blocking)}"
    return violations


def sign_in(page, account):
    page.goto(issue_sign_in_link(account.client).url)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your invoices")


def test_the_pay_page_and_its_receipt_have_no_serious_accessibility_violations(page, billing_account, stripe_server):
    page.goto(billing_account.open_link.url)
    expect(page.get_by_role("button", name="Pay by card")).to_be_visible()
    check_accessibility(page, "the pay page")
    page.get_by_role("button", name="Pay by card").click()
    expect(page.locator("#card-amount")).to_have_text("119.00 EUR")
    check_accessibility(page, "the pay page's card step", context=NOT_OURS)

    page.goto(billing_account.paid_link.url + "receipt/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt for invoice {billing_account.paid.number}")
    check_accessibility(page, "the pay page's receipt")


def test_every_billing_account_page_has_no_serious_accessibility_violations(
    page, billing_account, stripe_server, anymail_outbox
):
    account = billing_account
    page.goto(account.account_url)
    expect(page.get_by_label("Your email address")).to_be_visible()
    check_accessibility(page, "the sign-in form")

    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_accessibility(page, "the sign-in form with an error")

    page.get_by_label("Your email address").fill("jane@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_accessibility(page, "the 'check your email' page")

    link = issue_sign_in_link(account.client).url
    page.goto(link)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    check_accessibility(page, "the sign-in button page")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your invoices")
    check_accessibility(page, "the invoice list")

    page.get_by_role("radio", name="Open").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".account-invoice-list tbody tr")).to_have_count(2)
    check_accessibility(page, "the invoice list, filtered")

    page.get_by_role("link", name=account.open.number).click()
    expect(page.get_by_role("button", name="Pay by card")).to_be_visible()
    check_accessibility(page, "an open invoice")
    page.get_by_role("button", name="Pay by card").click()
    expect(page.locator("#card-amount")).to_have_text("119.00 EUR")
    check_accessibility(page, "an open invoice's card step", context=NOT_OURS)

    page.goto(f"{account.account_url}invoices/{account.partly_paid.pk}/")
    expect(page.locator(".account-payments")).to_be_visible()
    check_accessibility(page, "a partly paid invoice")
    page.get_by_role("link", name="Receipt", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt for invoice {account.partly_paid.number}")
    check_accessibility(page, "a receipt")

    page.goto(f"{account.account_url}invoices/{account.void.pk}/")
    expect(page.locator(".state-closed")).to_be_visible()
    check_accessibility(page, "a voided invoice")

    page.goto(f"{account.account_url}statement/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statement of account")
    check_accessibility(page, "the statement page")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".account-statement")).to_have_count(1)
    check_accessibility(page, "a statement")
    page.get_by_label("From").fill("2030-01-01")
    page.get_by_label("To").fill("2029-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_accessibility(page, "the statement form with an error")

    page.get_by_role("button", name="Sign out").click()
    response = page.goto(link)
    assert response.status == 410
    check_accessibility(page, "a used sign-in link")


def tab_to(page, locator, *, presses=20):
    """Press Tab until ``locator`` has the focus; fails if it never gets it."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{locator} never got the focus in {presses} presses of Tab")


def test_the_sign_in_form_works_with_the_keyboard_alone_and_announces_its_error(page, billing_account):
    page.goto(billing_account.account_url)
    field = page.get_by_label("Your email address")
    tab_to(page, field)
    page.keyboard.type("not an address")
    page.keyboard.press("Enter")
    error = page.get_by_role("alert")
    expect(error).to_have_text("Enter a valid email address.")
    # Screen readers announce it (role=alert) and tie it to the field it is about.
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", error.get_attribute("id"))
    expect(field).to_have_value("not an address")
    # The focus waits in the field, so that a screen reader reads the error with it, and the
    # address can be corrected at once.
    expect(field).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("jane@example.com")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("status")).to_contain_text("jane@example.com")


# Elements that stick out past the right edge of the viewport, other than inside a box that
# scrolls sideways on purpose (overflow-x: auto or scroll).
OVERFLOWING = """width => [...document.querySelectorAll("body *")].filter(element => {
    if (element.getBoundingClientRect().right <= width + 0.5) return false;
    for (let box = element.parentElement; box; box = box.parentElement) {
        if (["auto", "scroll"].includes(getComputedStyle(box).overflowX)) return false;
    }
    return true;
}).map(element => element.outerHTML.slice(0, 120))"""


# Scrolling wrappers whose table is wider than they are (the table scrolls inside them).
SCROLLING_WRAPPERS = """[...document.querySelectorAll(".table-scroll")]
    .filter(box => box.scrollWidth > box.clientWidth).map(box => box.outerHTML.slice(0, 120))"""


def screenshots_fit_the_phone(page, name, artifact_path):
    """Screenshots at phone and desktop sizes. At 375 px the page must not scroll sideways (a
    table may, inside its wrapper) and axe must find nothing serious there either; on a desktop
    no table is cut off by its wrapper."""
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        path = artifact_path(f"account-{name}-{size['width']}x{size['height']}.png")
        page.screenshot(path=path, full_page=True)
        assert path.stat().st_size > 5_000, path
        if size is PHONE:
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            sticking_out = page.evaluate(OVERFLOWING, PHONE["width"])
            assert scroll_width <= PHONE["width"] and not sticking_out, (
                f"{name} scrolls sideways at {PHONE['width']} px (scrollWidth {scroll_width}): {sticking_out}"
            )
            check_accessibility(page, f"{name} at {PHONE['width']} px")
        else:
            cut_off = page.evaluate(SCROLLING_WRAPPERS)
            assert not cut_off, f"{name} at {size['width']} px has tables wider than their wrapper: {cut_off}"


def test_the_pages_fit_a_phone_and_are_kept_as_screenshots(page, billing_account, stripe_server, artifact_path):
    account = billing_account
    page.goto(account.open_link.url)
    expect(page.get_by_role("button", name="Pay by card")).to_be_visible()
    screenshots_fit_the_phone(page, "pay-page", artifact_path)

    sign_in(page, account)
    screenshots_fit_the_phone(page, "invoice-list", artifact_path)

    page.goto(f"{account.account_url}invoices/{account.partly_paid.pk}/")
    expect(page.locator(".account-payments")).to_be_visible()
    screenshots_fit_the_phone(page, "invoice", artifact_path)

    page.goto(f"{account.account_url}statement/")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".account-statement")).to_have_count(1)
    screenshots_fit_the_phone(page, "statement", artifact_path)
