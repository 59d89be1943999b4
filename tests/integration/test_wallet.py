"""The client's wallet: credit added by an admin (a prepayment), the ledger with its running
balance, paying with it through the public API as "wallet", and statements that show the new
kinds of credit and agree with the API and the account page."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone

from invoicing.core.exceptions import ValidationFailed
from invoicing.models import CreditEntry
from invoicing.services.credit_notes import issue_credit_note
from invoicing.services.payments import credit_balance, record_manual_payment
from invoicing.services.statements import build_statement
from invoicing.services.wallet import add_credit, ledger
from tests.accounts import ACCOUNT, host, sign_in
from tests.factories import ACCESS_ADMIN, ClientFactory, billing_staff, line, open_invoice

pytestmark = pytest.mark.django_db

PAY_API = "/api/v1/order-payments/invoices/pay/"


class TestAddCredit:
    def test_adds_a_prepayment_with_its_reason_and_author(self, site_a, admin_user):
        client = ClientFactory(site=site_a)
        entry = add_credit(client, amount="50.00", currency="eur", reason="Prepayment TRX-9", by=admin_user)
        assert (entry.kind, entry.amount, entry.currency, entry.note, entry.created_by) == (
            CreditEntry.Kind.ADDED,
            Decimal("50.00"),
            "EUR",
            "Prepayment TRX-9",
            admin_user,
        )
        assert credit_balance(client, "EUR") == Decimal("50.00")

    @pytest.mark.parametrize(
        ("amount", "currency", "reason", "message"),
        [
            ("50.00", "EUR", "  ", "reason"),
            ("-5.00", "EUR", "x", "more than zero"),
            ("0", "EUR", "x", "more than zero"),
            ("1.005", "EUR", "x", "decimal places"),
            ("1.5", "JPY", "x", "decimal places"),
            ("1.00", "XXX", "x", "not a supported currency"),
            ("lots", "EUR", "x", "not an amount of money"),
        ],
    )
    def test_refuses_what_is_not_a_prepayment(self, site_a, amount, currency, reason, message):
        client = ClientFactory(site=site_a)
        with pytest.raises(ValidationFailed, match=message):
            add_credit(client, amount=amount, currency=currency, reason=reason, by=None)
        assert not CreditEntry.objects.exists()


def test_the_ledger_has_a_running_balance_per_currency(site_a):
    client = ClientFactory(site=site_a)
    add_credit(client, amount="50.00", currency="EUR", reason="Prepayment", by=None)
    add_credit(client, amount="7.000", currency="KWD", reason="Prepayment", by=None)
    invoice, _ = open_invoice(site_a, client=client, lines=[line(unit_price="30.00")])
    from invoicing.services.payments import pay_with_credit

    pay_with_credit(invoice)
    note = issue_credit_note(invoice, lines=[(invoice.lines.get(), "0.5")], reason="Half cancelled")

    eur, kwd = ledger(client)
    assert (eur.currency, kwd.currency) == ("EUR", "KWD")
    assert [(row.kind, row.amount, row.balance) for row in eur.rows] == [
        ("added", Decimal("50.00"), Decimal("50.00")),
        ("spent", Decimal("-30.00"), Decimal("20.00")),
        ("credit_note", Decimal("15.00"), Decimal("35.00")),
    ]
    assert eur.rows[2].credit_note_number == note.number and eur.rows[1].invoice_number == invoice.number
    assert eur.balance == credit_balance(client, "EUR") == Decimal("35.00")
    assert kwd.balance == Decimal("7.000")


class TestAdmin:
    def url(self, client):
        return reverse("wagtailsnippets_invoicing_client:add_credit", args=[client.pk])

    def test_add_credit_from_the_clients_page_and_see_the_ledger(self, admin_client, site_a, admin_user):
        client = ClientFactory(site=site_a)
        inspect = reverse("wagtailsnippets_invoicing_client:inspect", args=[client.pk])
        assert self.url(client) in admin_client.get(inspect).content.decode()
        refused = admin_client.post(self.url(client), {"amount": "10.00", "currency": "EUR", "reason": ""})
        assert refused.status_code == 200 and not CreditEntry.objects.exists()
        response = admin_client.post(self.url(client), {"amount": "10.00", "currency": "EUR", "reason": "Prepaid"})
        assert response.status_code == 302 and response["Location"] == inspect
        entry = CreditEntry.objects.get()
        assert (entry.amount, entry.created_by, entry.note) == (Decimal("10.00"), admin_user, "Prepaid")
        page = admin_client.get(inspect).content.decode()
        assert 'data-credit-ledger="EUR"' in page and "Prepaid" in page

    def test_another_websites_client_is_404_and_viewers_may_not_add(self, client, site_a, site_b, acme_clerk):
        theirs = ClientFactory(site=site_b)
        client.force_login(acme_clerk)
        assert client.get(self.url(theirs)).status_code == 404
        data = {"amount": "10.00", "currency": "EUR", "reason": "x"}
        assert client.post(self.url(theirs), data).status_code == 404
        viewer = billing_staff(site_a, username="wallet-viewer", permissions=(ACCESS_ADMIN, "view_client"))
        ours = ClientFactory(site=site_a)
        client.force_login(viewer)
        assert client.post(self.url(ours), data).status_code in (302, 403)
        inspect = client.get(reverse("wagtailsnippets_invoicing_client:inspect", args=[ours.pk])).content.decode()
        assert self.url(ours) not in inspect
        assert not CreditEntry.objects.exists()


def test_pay_with_wallet_through_the_api(site_a):
    cache.clear()
    client = ClientFactory(site=site_a)
    add_credit(client, amount="40.00", currency="EUR", reason="Prepayment", by=None)
    invoice, link = open_invoice(site_a, client=client, lines=[line(unit_price="100.00")])
    visitor = DjangoClient(enforce_csrf_checks=True, HTTP_HOST="acme.test")
    url = f"{PAY_API}{link.token}/"
    assert visitor.get(url).json()["credit_available"] == "40.00"
    response = visitor.post(
        url,
        {"method": "wallet"},
        content_type="application/json",
        headers={"X-CSRFToken": visitor.cookies["csrftoken"].value},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["amount"], body["amount_due"], body["payment"]["method"]) == ("40.00", "60.00", "credit")
    assert credit_balance(client, "EUR") == 0
    schema = DjangoClient().get("/api/v1/schema/").content.decode()
    assert "wallet" in schema


def test_statement_rows_and_balance_agree_with_the_api_and_the_account_page(client, site_a, admin_user):
    cache.clear()
    jane = ClientFactory(site=site_a, name="Jane", email="jane-wallet@example.com")
    add_credit(jane, amount="25.00", currency="EUR", reason="Prepayment TRX-1", by=admin_user)
    paid, _ = open_invoice(site_a, client=jane, lines=[line(unit_price="80.00")])
    record_manual_payment(paid, reason="Transfer", by=None)
    paid.refresh_from_db()
    to_credit = issue_credit_note(paid, lines=[(paid.lines.get(), "0.5")], reason="Half cancelled")
    still_open, _link = open_invoice(site_a, client=jane, lines=[line(unit_price="100.00")])
    off_balance = issue_credit_note(still_open, lines=[(still_open.lines.get(), "0.3")], reason="Discount")

    today = timezone.localdate()
    statement = build_statement(jane, start=today - timedelta(days=1), end=today)
    [eur] = statement.currencies
    kinds = [(line.kind, line.amount) for line in eur.lines]
    assert ("credit", Decimal("-25.00")) in kinds
    assert ("credit_note", Decimal("-40.00")) in kinds  # 40.00 onto the credit
    assert ("credit_note", Decimal("-30.00")) in kinds  # 30.00 off the open balance
    descriptions = " ".join(line.description for line in eur.lines)
    assert "Credit added: Prepayment TRX-1" in descriptions
    assert to_credit.number in descriptions and off_balance.number in descriptions
    # 80 + 100 invoiced, 80 paid, 70 credited, 25 added: owed 70, credit 65.
    assert (eur.outstanding, eur.credit, eur.closing_balance) == (Decimal("70.00"), Decimal("65.00"), Decimal("5.00"))
    running = [line.balance for line in eur.lines]
    assert running[-1] == eur.closing_balance

    # The public API's view: what is due on the open invoice, and the credit available.
    visitor = DjangoClient(HTTP_HOST="acme.test")
    api = visitor.get(f"{PAY_API}{off_balance.new_link.token}/").json()
    assert (api["amount_due"], api["credit_available"]) == ("70.00", "65.00")
    # The account page's summary says the same.
    sign_in(client, jane)
    html = client.get(ACCOUNT, **host(jane)).content.decode()
    row = re.search(r'<th scope="row">EUR</th>(.*?)</tr>', html, re.S).group(1)
    assert "70.00" in row and "65.00" in row
    # And lists both credit notes with their PDFs, which are the client's only.
    assert to_credit.number in html and off_balance.number in html
    pdf = client.get(f"{ACCOUNT}credit-notes/{to_credit.pk}/pdf/", **host(jane))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_the_account_page_serves_only_the_clients_own_credit_notes(client, site_a):
    cache.clear()
    jane = ClientFactory(site=site_a, email="jane-cn@example.com")
    other = ClientFactory(site=site_a, email="other-cn@example.com")
    theirs = issue_credit_note(open_invoice(site_a, client=other)[0], reason="x")
    sign_in(client, jane)
    assert client.get(f"{ACCOUNT}credit-notes/{theirs.pk}/pdf/", **host(jane)).status_code == 404
    assert theirs.number not in client.get(ACCOUNT, **host(jane)).content.decode()


def test_an_early_payment_discount_and_a_credit_note_leave_the_statement_at_zero(site_a):
    from invoicing.models import PaymentMethod
    from invoicing.services.payments import apply_payment

    jane = ClientFactory(site=site_a)
    invoice, _ = open_invoice(
        site_a,
        client=jane,
        lines=[line(unit_price="100.00")],
        early_discount_percent=Decimal("2"),
        early_discount_days=10,
    )
    apply_payment(invoice, method=PaymentMethod.MANUAL, amount="98.00", currency="EUR", provider_reference="t")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.early_discount_taken) == ("paid", Decimal("2.00"))
    today = timezone.localdate()
    [eur] = build_statement(jane, start=today, end=today).currencies
    assert ("early_discount", Decimal("-2.00")) in [(line.kind, line.amount) for line in eur.lines]
    assert (eur.outstanding, eur.closing_balance) == (Decimal("0.00"), Decimal("0.00"))

    # Crediting the whole invoice gives back what was paid, not the discount nobody paid.
    note = issue_credit_note(invoice, reason="Cancelled")
    assert (note.total, note.credited, note.applied_to_invoice) == (
        Decimal("100.00"),
        Decimal("98.00"),
        Decimal("2.00"),
    )
    [eur] = build_statement(jane, start=today, end=today).currencies
    assert (eur.outstanding, eur.credit, eur.closing_balance) == (Decimal("0.00"), Decimal("98.00"), Decimal("-98.00"))
