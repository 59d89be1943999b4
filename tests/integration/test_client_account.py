"""The client's billing account, through its HTTP interface: signing in with the emailed link,
the summary, the list, an invoice, receipts, downloads, and paying inside the session."""

import csv
import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from invoicing.models import BillingSettings, CreditEntry, Invoice, SignInLink
from invoicing.services.invoices import mark_uncollectible, void_invoice
from invoicing.services.outbox import send_invoice_email
from invoicing.services.payments import apply_payment, record_manual_payment
from tests.accounts import ACCOUNT, host, sign_in
from tests.factories import ClientFactory, draft_invoice, line, open_invoice
from tests.pdf_helpers import pdf_text

pytestmark = pytest.mark.usefixtures("empty_cache")


def sign_in_link_in(message):
    return re.search(r"http://[^\s\"<]+/account/sign-in/SIGNIN-[A-Za-z0-9_\-]{43}/", message.body).group(0)


@pytest.fixture
def jane(site_a):
    return ClientFactory(site=site_a, name="Jane Doe", email="jane@example.com")


def page(http, person, path="", **params):
    answer = http.get(ACCOUNT + path, params, **host(person))
    assert answer.status_code == 200, answer
    return answer.content.decode()


def listed_numbers(html):
    return re.findall(r'<tr data-invoice="([^"]+)">', html)


def test_a_client_signs_in_with_the_emailed_link_and_sees_their_invoices(
    client, site_a, jane, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, _ = open_invoice(site_a, client=jane)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(ACCOUNT + "sign-in/", {"email": " Jane@Example.com "}, **host(jane))
    assert answer.status_code == 200 and "Check your email" in answer.content.decode()
    [message] = [m for m in anymail_outbox if "sign-in-link" in m.tags]
    assert message.to == ["jane@example.com"]
    assert "works once, within 15 minutes" in message.body
    link = urlsplit(sign_in_link_in(message)).path

    # Opening the link only shows a button: a mail scanner that fetches it uses nothing up.
    assert "Sign in" in client.get(link, **host(jane)).content.decode()
    assert SignInLink.objects.get().used_at is None
    assert client.post(link, **host(jane))["Location"] == ACCOUNT
    assert invoice.number in listed_numbers(page(client, jane))
    assert SignInLink.objects.get().used_at is not None


def test_the_summary_shows_what_is_due_overdue_and_the_credit_per_currency(client, site_a, jane, admin_user):
    overdue, _ = open_invoice(site_a, client=jane, lines=[line(unit_price="100.00")])
    Invoice.objects.filter(pk=overdue.pk).update(
        due_date=timezone.localdate() - timedelta(days=3), collect_by=timezone.localdate() - timedelta(days=3)
    )
    open_invoice(site_a, client=jane, lines=[line(unit_price="50.00")])
    yen, _ = open_invoice(site_a, client=jane, currency="JPY", lines=[line(unit_price="1200")])
    apply_payment(yen, method="manual", amount="1500", currency="JPY", provider_reference="bank-1")  # 300 over
    sign_in(client, jane)

    html = page(client, jane)
    eur = re.search(r"<th scope=\"row\">EUR</th>(.*?)</tr>", html, re.S).group(1)
    jpy = re.search(r"<th scope=\"row\">JPY</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]+)</td>", eur) == ["150.00 EUR", "100.00 EUR", "0.00 EUR"]
    assert re.findall(r"<td[^>]*>([^<]+)</td>", jpy) == ["0 JPY", "0 JPY", "300 JPY"]


def test_the_list_is_theirs_on_this_website_newest_first_without_drafts(client, site_a, site_b, jane):
    first, _ = open_invoice(site_a, client=jane)
    second, _ = open_invoice(site_a, client=jane)
    void_invoice(first, reason="duplicate")
    written_off, _ = open_invoice(site_a, client=jane)
    mark_uncollectible(written_off, reason="gone")
    draft_invoice(site_a, client=jane)
    someone_else, _ = open_invoice(site_a, client=ClientFactory(site=site_a, email="jane@example.com"))
    elsewhere, _ = open_invoice(site_b, client=ClientFactory(site=site_b, email="jane@example.com"))
    sign_in(client, jane)

    html = page(client, jane)
    assert listed_numbers(html) == [written_off.number, second.number, first.number]
    assert ">Void<" in html and ">Written off<" in html
    assert someone_else.number not in html and elsewhere.number not in html


def test_the_list_filters_searches_and_pages(client, site_a, jane, admin_user):
    paid, _ = open_invoice(site_a, client=jane)
    record_manual_payment(paid, reason="bank", by=admin_user)
    overdue, _ = open_invoice(site_a, client=jane)
    Invoice.objects.filter(pk=overdue.pk).update(
        due_date=timezone.localdate() - timedelta(days=1), collect_by=timezone.localdate() - timedelta(days=1)
    )
    current, _ = open_invoice(site_a, client=jane)
    sign_in(client, jane)

    assert listed_numbers(page(client, jane, show="open")) == [current.number, overdue.number]
    assert listed_numbers(page(client, jane, show="overdue")) == [overdue.number]
    assert listed_numbers(page(client, jane, show="paid")) == [paid.number]
    assert listed_numbers(page(client, jane, q=current.number[-3:])) == [current.number]
    assert listed_numbers(page(client, jane, show="nonsense")) == [current.number, overdue.number, paid.number]

    for _ in range(20):
        open_invoice(site_a, client=jane)
    first_page, second_page = page(client, jane), page(client, jane, page=2)
    assert len(listed_numbers(first_page)) == 20 and "Page 1 of 2" in first_page
    assert listed_numbers(second_page) == [current.number, overdue.number, paid.number]


def test_an_invoice_shows_its_payments_refunds_and_receipts(client, site_a, jane, admin_user):
    invoice, _ = open_invoice(site_a, client=jane, lines=[line(description="Design work", unit_price="100.00")])
    result = record_manual_payment(invoice, reason="bank", by=admin_user, amount="40.00")
    sign_in(client, jane)

    html = page(client, jane, f"invoices/{invoice.pk}/")
    assert "Design work" in html and "Payment (Manual)" in html
    assert f'href="/account/receipts/{result.payment.pk}/"' in html
    receipt = page(client, jane, f"receipts/{result.payment.pk}/")
    assert "We received 40.00 EUR" in receipt
    pdf = client.get(f"{ACCOUNT}receipts/{result.payment.pk}/pdf/", **host(jane))
    assert pdf["Content-Type"] == "application/pdf" and "40.00" in pdf_text(pdf.content)
    invoice_pdf = client.get(f"{ACCOUNT}invoices/{invoice.pk}/pdf/", **host(jane))
    assert invoice.number in pdf_text(invoice_pdf.content)


def test_download_all_zips_the_pdfs_of_the_filtered_list(client, site_a, jane, admin_user):
    paid, _ = open_invoice(site_a, client=jane)
    record_manual_payment(paid, reason="bank", by=admin_user)
    open_one, _ = open_invoice(site_a, client=jane)
    open_invoice(site_a, client=ClientFactory(site=site_a))
    sign_in(client, jane)

    answer = client.get(ACCOUNT + "invoices/download/", {"show": "open"}, **host(jane))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    assert archive.namelist() == [f"invoice-{open_one.number}.pdf"]
    assert open_one.number in pdf_text(archive.read(archive.namelist()[0]))
    nothing = client.get(ACCOUNT + "invoices/download/", {"q": "no-such-number"}, **host(jane))
    assert nothing.status_code == 400 and "nothing to download" in nothing.content.decode()


def test_the_statement_downloads_are_the_signed_in_clients(client, site_a, jane):
    mine, _ = open_invoice(site_a, client=jane)
    theirs, _ = open_invoice(site_a, client=ClientFactory(site=site_a))
    sign_in(client, jane)
    today = timezone.localdate().isoformat()
    dates = {"start": today, "end": today}

    on_screen = page(client, jane, "statement/", **dates)
    assert "Closing balance" in on_screen and "100.00 EUR" in on_screen
    statement_csv = client.get(ACCOUNT + "statement/csv/", dates, **host(jane))
    rows = list(csv.reader(io.StringIO(statement_csv.content.decode("utf-8-sig"))))
    assert any(mine.number in row for row in rows) and not any(theirs.number in row for row in rows)
    statement_pdf = client.get(ACCOUNT + "statement/pdf/", dates, **host(jane))
    assert statement_pdf["Content-Type"] == "application/pdf"
    assert mine.number in pdf_text(statement_pdf.content) and theirs.number not in pdf_text(statement_pdf.content)
    backwards = client.get(ACCOUNT + "statement/pdf/", {"start": today, "end": "2000-01-01"}, **host(jane))
    assert backwards.status_code == 400 and "The end date comes before the start date." in backwards.content.decode()
    assert client.get(ACCOUNT + "statement/xlsx/", dates, **host(jane)).status_code == 404


def test_paying_with_credit_in_the_account_keeps_the_emailed_link(client, site_a, jane):
    invoice, link = open_invoice(site_a, client=jane, lines=[line(unit_price="30.00")])
    CreditEntry.objects.create(client=jane, currency="EUR", amount=Decimal("50.00"), kind=CreditEntry.Kind.OVERPAYMENT)
    sign_in(client, jane)

    answer = client.post(f"{ACCOUNT}invoices/{invoice.pk}/credit/", {"credit_amount": ""}, **host(jane))
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    payment = invoice.payment
    assert answer["Location"] == f"{ACCOUNT}receipts/{payment.pk}/"
    # The emailed link still opens the invoice, now paid, and its receipt.
    emailed = client.get(urlsplit(link.url).path, **host(jane)).content.decode()
    assert "Paid on" in emailed


def test_a_card_payment_in_the_account_goes_through_stripe_and_counts_once(client, site_a, jane, stripe_server):
    invoice, link = open_invoice(site_a, client=jane, lines=[line(unit_price="25.00")])
    sign_in(client, jane)

    started = client.post(f"{ACCOUNT}invoices/{invoice.pk}/card/", {"amount_choice": "full"}, **host(jane))
    assert started.status_code == 200, started.content
    checkout = started.json()
    assert checkout["return_url"] == f"http://{site_a.hostname}{ACCOUNT}invoices/{invoice.pk}/return/"
    assert checkout["confirm_url"] == f"{ACCOUNT}invoices/{invoice.pk}/card/confirm-offline/"
    card = stripe_server.card_token("4242424242424242")
    confirmed = client.post(
        checkout["confirm_url"], {"intent_id": checkout["intent_id"], "card_id": card}, **host(jane)
    ).json()
    invoice.refresh_from_db()
    assert confirmed["status"] == "succeeded" and invoice.status == "paid"
    assert confirmed["redirect"] == f"{ACCOUNT}receipts/{invoice.payment.pk}/"
    # The return URL, visited afterwards, counts nothing twice.
    back = client.get(urlsplit(checkout["return_url"]).path, {"payment_intent": checkout["intent_id"]}, **host(jane))
    assert back.status_code == 302 and invoice.payments.count() == 1
    assert f">{invoice.number}<" in page(client, jane, show="paid")


def test_a_linked_django_user_sees_their_account_without_a_link(client, site_a, site_b, jane, django_user_model):
    user = django_user_model.objects.create_user("jane", password="x")  # noqa: S106
    jane.user = user
    jane.save()
    invoice, _ = open_invoice(site_a, client=jane)
    client.force_login(user)

    html = page(client, jane)
    assert invoice.number in listed_numbers(html) and "Sign out" not in html
    # The link is to this website's client only.
    elsewhere = client.get(ACCOUNT, HTTP_HOST=site_b.hostname).content.decode()
    assert "Email me a sign-in link" in elsewhere


def test_turned_off_the_account_page_is_a_404_and_emails_do_not_link_to_it(
    client, site_a, jane, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, _ = open_invoice(site_a, client=jane)
    link = sign_in(client, jane)
    with django_capture_on_commit_callbacks(execute=True):
        send_invoice_email(invoice, "invoice")
    assert f"See all your invoices: http://{site_a.hostname}{ACCOUNT}" in anymail_outbox[-1].body
    assert "SIGNIN-" not in anymail_outbox[-1].body  # a plain link, never a signed-in one

    BillingSettings.objects.filter(site=site_a).update(account_page_enabled=False)
    for path in ("", f"invoices/{invoice.pk}/", "statement/", urlsplit(link.url).path[len(ACCOUNT) :]):
        assert client.get(ACCOUNT + path, **host(jane)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        send_invoice_email(invoice, "reminder")
    assert "See all your invoices" not in anymail_outbox[-1].body
