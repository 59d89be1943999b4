"""A client's billing account in a real browser: Jane asks for a sign-in link, signs in with the
link from her email (anymail's test backend), sees her invoices on this website only, filters,
searches and downloads them and her statement, pays one by card through localstripe's Stripe.js,
and signs out; after that neither her old session cookie nor the used link opens her account."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import PaymentMethod

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_link_in(message):
    match = re.search(r"http://[^\s\"<]+/account/sign-in/SIGNIN-[A-Za-z0-9_\-]+/", message.body)
    assert match, message.body
    return match.group(0)


def ask_for_a_sign_in_link(page, account, outbox):
    """The account page's form, as a client fills it; returns the link from the one email sent."""
    page.goto(account.account_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your billing account")
    page.get_by_label("Your email address").fill("Jane@Example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("status")).to_contain_text("jane@example.com")
    sign_in_emails = [message for message in outbox if "sign-in-link" in message.tags]
    # Jane on website B has the same address, but this is website A's form: one email, A's link.
    assert [message.to for message in sign_in_emails] == [["jane@example.com"]]
    link = sign_in_link_in(sign_in_emails[0])
    assert link.startswith(account.account_url + "sign-in/"), link
    return link


def sign_in(page, account, outbox):
    link = ask_for_a_sign_in_link(page, account, outbox)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to your billing account")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(account.account_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your invoices")
    expect(page.locator(".account-who")).to_have_text("Jane Doe")
    return link


def listed_numbers(page, count):
    """The invoice numbers listed, once the list has ``count`` rows (the page may still be loading)."""
    rows = page.locator(".account-invoice-list tbody tr")
    expect(rows).to_have_count(count)
    return rows.evaluate_all("rows => rows.map(row => row.dataset.invoice)")


def row_of(page, invoice):
    return page.locator(f'.account-invoice-list tbody tr[data-invoice="{invoice.number}"]')


def download(page, link_name):
    """Click a download link; the file's suggested name and bytes."""
    with page.expect_download() as started:
        page.get_by_role("link", name=link_name).click()
    saved = started.value
    assert saved.failure() is None, saved.failure()
    return saved.suggested_filename, Path(saved.path()).read_bytes()


def pdf_text(data):
    assert data.startswith(b"%PDF-"), data[:40]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def fill_card(page, number):
    """localstripe's fake card widget: number, expiry month and year, CVC, postcode."""
    widget = page.locator("#card-element")
    for placeholder, value in [
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "40"),
        ("cvc", "123"),
        ("postal_code", "10115"),
    ]:
        widget.get_by_placeholder(placeholder).fill(value)


def test_a_client_signs_in_with_the_emailed_link_and_sees_only_their_invoices_on_this_website(
    page, billing_account, anymail_outbox
):
    account = billing_account
    sign_in(page, account, anymail_outbox)

    assert sorted(listed_numbers(page, 4)) == sorted(invoice.number for invoice in account.hers)
    body = page.locator("main")
    expect(body).not_to_contain_text(account.not_hers.number)
    expect(body).not_to_contain_text(account.not_hers.title)
    expect(body).not_to_contain_text(account.on_other_website.number)
    expect(body).not_to_contain_text(account.on_other_website.title)
    expect(row_of(page, account.open).locator(".invoice-status")).to_have_text("Open")
    expect(row_of(page, account.partly_paid).locator(".invoice-status")).to_have_text("Partially paid")
    expect(row_of(page, account.paid).locator(".invoice-status")).to_have_text("Paid")
    expect(row_of(page, account.void).locator(".invoice-status")).to_have_text("Void")
    # 119.00 on the open invoice and 14,000.00 left on the partly paid one.
    expect(page.locator(".account-summary-table tbody td")).to_have_text(["14,119.00 EUR", "0.00 EUR", "0.00 EUR"])

    # Another client's invoice, or her own on website B, is not found here.
    for invoice in (account.not_hers, account.on_other_website):
        response = page.goto(f"{account.account_url}invoices/{invoice.pk}/")
        assert response.status == 404, invoice
    page.goto(account.account_url)

    page.get_by_role("radio", name="Open").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]show=open"))
    assert sorted(listed_numbers(page, 2)) == sorted([account.open.number, account.partly_paid.number])
    page.get_by_label("Invoice number").fill(account.open.number)
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("radio", name="Open")).to_be_checked()
    assert listed_numbers(page, 1) == [account.open.number]
    page.get_by_label("Invoice number").fill("NO-SUCH-NUMBER")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".account-invoices")).to_contain_text("No invoice matches.")

    page.goto(account.account_url)
    page.get_by_role("link", name=account.partly_paid.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {account.partly_paid.number}")
    expect(page.locator(".invoice-due td")).to_have_text("14,000.00 EUR")
    expect(page.locator(".account-payments tbody tr")).to_have_count(1)
    name, data = download(page, "Download the invoice (PDF)")
    assert name.endswith(".pdf"), name
    assert account.partly_paid.number in pdf_text(data)

    page.get_by_role("link", name="Receipt", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt for invoice {account.partly_paid.number}")
    name, data = download(page, "Download the receipt (PDF)")
    assert account.partly_paid.number in pdf_text(data)

    page.get_by_role("navigation", name="Your billing account").get_by_role("link", name="Statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statement of account")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".account-statement")).to_have_count(1)
    expect(page.locator(".account-statement h2")).to_have_text("EUR")
    name, data = download(page, "Download the statement (PDF)")
    assert name.startswith("statement-") and name.endswith(".pdf"), name
    text = pdf_text(data)
    for invoice in account.hers:
        assert invoice.number in text
    for invoice in (account.not_hers, account.on_other_website):
        assert invoice.number not in text
    name, data = download(page, "Download the statement (CSV)")
    assert name.startswith("statement-") and name.endswith(".csv"), name
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    numbers = {row["Invoice"] for row in rows if row["Invoice"]}
    assert numbers == {invoice.number for invoice in account.hers}
    assert {row["Currency"] for row in rows} == {"EUR"}
    assert [row["Kind"] for row in rows][0] == "opening" and rows[-1]["Kind"] == "closing"
    # Owed at the end: 119.00 + 14,000.00, and no credit.
    assert rows[-1]["Balance"] == "14119.00", rows[-1]


def test_a_signed_in_client_pays_an_open_invoice_by_card_and_sees_it_paid(
    page, billing_account, stripe_server, anymail_outbox
):
    account = billing_account
    sign_in(page, account, anymail_outbox)
    page.get_by_role("link", name=account.open.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {account.open.number}")
    expect(page.locator(".invoice-due td")).to_have_text("119.00 EUR")
    page.get_by_role("button", name="Pay by card").click()
    expect(page.locator("#card-amount")).to_have_text("119.00 EUR")
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay now").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt for invoice {account.open.number}")
    expect(page).to_have_url(re.compile(r"/account/receipts/\d+/$"))
    expect(page.locator(".receipt-thanks")).to_contain_text("We received 119.00 EUR")
    account.open.refresh_from_db()
    assert account.open.status == InvoiceStatus.PAID
    assert account.open.payments.get().method == PaymentMethod.STRIPE

    page.get_by_role("link", name="Invoices", exact=True).click()
    expect(row_of(page, account.open).locator(".invoice-status")).to_have_text("Paid")
    page.get_by_role("radio", name="Paid").check()
    page.get_by_role("button", name="Apply").click()
    assert sorted(listed_numbers(page, 2)) == sorted([account.open.number, account.paid.number])
    # Only the partly paid invoice is left to pay.
    expect(page.locator(".account-summary-table tbody td")).to_have_text(["14,000.00 EUR", "0.00 EUR", "0.00 EUR"])


def test_after_signing_out_the_old_session_cookie_and_the_used_link_open_nothing(
    page, context, new_context, billing_account, anymail_outbox
):
    account = billing_account
    link = sign_in(page, account, anymail_outbox)
    [session] = [cookie for cookie in context.cookies(account.account_url) if cookie["name"] == "sessionid"]
    # The cookie alone opens the account in another browser: what signing out must end.
    with_cookie = new_context()
    with_cookie.add_cookies([{"name": "sessionid", "value": session["value"], "url": account.site.root_url}])
    elsewhere = with_cookie.new_page()
    elsewhere.goto(account.account_url)
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Your invoices")
    with_cookie.close()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your billing account")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("navigation", name="Your billing account")).to_have_count(0)

    stale = new_context()
    stale.add_cookies([{"name": "sessionid", "value": session["value"], "url": account.site.root_url}])
    elsewhere = stale.new_page()
    response = elsewhere.goto(account.account_url)
    assert response.status == 200
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Your billing account")
    expect(elsewhere.get_by_label("Your email address")).to_be_visible()
    expect(elsewhere.locator("main")).not_to_contain_text(account.open.number)
    response = elsewhere.goto(f"{account.account_url}invoices/{account.open.pk}/")
    expect(elsewhere).to_have_url(account.account_url)  # sent to the sign-in form
    expect(elsewhere.get_by_label("Your email address")).to_be_visible()

    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_role("alert")).to_contain_text("This sign-in link was used already.")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_have_count(0)
    expect(page.get_by_label("Your email address")).to_be_visible()
    page.goto(account.account_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your billing account")
    expect(page.locator("main")).not_to_contain_text(account.open.number)
