"""A client's statement of account, per currency: the figures against hand-computed values, its
scope (one client, issued invoices only), and the CSV and PDF read back."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pypdf import PdfReader

from invoicing.core.exceptions import ValidationFailed
from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import BillingSettings, CreditEntry, Invoice, Payment, PaymentMethod, Refund
from invoicing.pdf.document import Party
from invoicing.pdf.statement import StatementDocument, StatementRow, StatementSection, render_statement
from invoicing.services.invoices import mark_uncollectible, void_invoice
from invoicing.services.payments import apply_payment, pay_with_credit, record_manual_payment, record_refund
from invoicing.services.statement_files import statement_csv, statement_filename, statement_pdf
from invoicing.services.statements import build_statement
from tests.factories import ClientFactory, draft_invoice, line, make_website, open_invoice
from tests.pdf_helpers import flat, page_texts, pdf_text

D = Decimal
FEBRUARY = {"start": date(2026, 2, 1), "end": date(2026, 2, 28)}


def at(month, day, hour=12, minute=0, year=2026):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def issue(site, client, currency, total, when, *, title="Services"):
    invoice, _ = open_invoice(site, client=client, currency=currency, title=title, lines=[line(unit_price=total)])
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=when)
    return invoice


def dated(payment_or_result, when):
    payment = getattr(payment_or_result, "payment", payment_or_result)
    Payment.objects.filter(pk=payment.pk).update(created_at=when)
    return payment


def closed_on(invoice, when):
    Invoice.objects.filter(pk=invoice.pk).update(closed_at=when)


def manual(invoice, amount, when):
    return dated(record_manual_payment(invoice, amount=amount, reason="Bank transfer", by=None), when)


def card(invoice, amount, when, reference):
    result = apply_payment(
        invoice, method=PaymentMethod.STRIPE, amount=amount, currency=invoice.currency, provider_reference=reference
    )
    return dated(result, when)


def refund(payment, amount, when, reference):
    refunded, _ = record_refund(payment, amount=amount, provider_reference=reference)
    Refund.objects.filter(pk=refunded.pk).update(created_at=when)


# The same history in each currency, with its own amounts. The services run in the history's order
# (credit taken back by a refund depends on what is left), then each event is put on its date.
AMOUNTS = {
    "EUR": {
        "E6": "50.00", "E1": "100.00", "p1": "40.00", "E3": "40.00", "p3": "15.00", "E2": "250.50",
        "over": "100.00", "credit": "20.00", "manual": "30.25", "credit_refund": "5.00", "E4": "19.99",
        "late": "19.99", "card_refund": "45.00", "E5": "70.00", "p5": "10.00",
    },
    "JPY": {
        "E6": "5000", "E1": "10000", "p1": "4000", "E3": "4000", "p3": "1500", "E2": "25050",
        "over": "10000", "credit": "3500", "manual": "3025", "credit_refund": "300", "E4": "1999",
        "late": "1999", "card_refund": "4500", "E5": "7000", "p5": "1000",
    },
    "KWD": {
        "E6": "50.000", "E1": "120.500", "p1": "40.125", "E3": "40.000", "p3": "15.125", "E2": "250.505",
        "over": "100.000", "credit": "10.000", "manual": "30.250", "credit_refund": "2.345", "E4": "19.999",
        "late": "19.999", "card_refund": "45.000", "E5": "70.000", "p5": "12.345",
    },
}  # fmt: skip


def make_history(site, client, currency):
    """Before February: E6 issued and voided, E1 and E3 issued and paid in part. In February: E2
    issued; a card payment overpays E1 (the excess becomes credit); E2 is paid in part with credit
    and in part by transfer; the credit payment is refunded in part (back to credit); E4 is issued
    and voided, then paid late by card (all credit); the overpaying card payment is refunded, which
    takes back unspent credit; E3 is written off. In March: E5 issued and paid in part."""
    a = AMOUNTS[currency]
    e6 = issue(site, client, currency, a["E6"], at(12, 1, year=2025))
    void_invoice(e6, reason="Issued twice")
    closed_on(e6, at(1, 5))
    e1 = issue(site, client, currency, a["E1"], at(1, 10))
    manual(e1, a["p1"], at(1, 20))
    e3 = issue(site, client, currency, a["E3"], at(1, 15))
    manual(e3, a["p3"], at(1, 25))
    e2 = issue(site, client, currency, a["E2"], at(2, 3), title="Website relaunch")
    overpaying = card(e1, a["over"], at(2, 5), f"pi_over_{currency}")
    with_credit = dated(pay_with_credit(e2, amount=a["credit"]), at(2, 10))
    manual(e2, a["manual"], at(2, 12))
    refund(with_credit, a["credit_refund"], at(2, 14), f"re_credit_{currency}")
    e4 = issue(site, client, currency, a["E4"], at(2, 16))
    void_invoice(e4, reason="Wrong client")
    closed_on(e4, at(2, 17))
    card(e4, a["late"], at(2, 18), f"pi_late_{currency}")
    refund(overpaying, a["card_refund"], at(2, 20), f"re_card_{currency}")
    mark_uncollectible(e3, reason="The client went out of business")
    closed_on(e3, at(2, 25))
    e5 = issue(site, client, currency, a["E5"], at(3, 2))
    manual(e5, a["p5"], at(3, 3))
    return {"E1": e1, "E2": e2, "E3": e3, "E4": e4, "E5": e5, "E6": e6}


# Worked out by hand from AMOUNTS: (day in February, kind, invoice, amount, memo, running balance).
EXPECTED = {
    "EUR": {
        "opening": "85.00",
        "lines": [
            (3, "invoice", "E2", "250.50", None, "335.50"),
            (5, "payment", "E1", "-100.00", None, "235.50"),
            (10, "credit_payment", "E2", "0.00", "20.00", "235.50"),
            (12, "payment", "E2", "-30.25", None, "205.25"),
            (14, "refund", "E2", "-5.00", "5.00", "200.25"),
            (16, "invoice", "E4", "19.99", None, "220.24"),
            (17, "void", "E4", "-19.99", None, "200.25"),
            (18, "payment", "E4", "-19.99", None, "180.26"),
            (20, "refund", "E1", "40.00", "45.00", "220.26"),  # takes back all the 40.00 the payment credited
            (25, "write_off", "E3", "-25.00", None, "195.26"),
        ],
        "invoiced": "270.49", "paid": "-150.24", "refunded": "35.00", "closed": "-44.99",
        "closing": "195.26", "outstanding": "200.25", "credit": "4.99",
        "today": "255.26",
    },
    "JPY": {
        "opening": "8500",
        "lines": [
            (3, "invoice", "E2", "25050", None, "33550"),
            (5, "payment", "E1", "-10000", None, "23550"),
            (10, "credit_payment", "E2", "0", "3500", "23550"),
            (12, "payment", "E2", "-3025", None, "20525"),
            (14, "refund", "E2", "-300", "300", "20225"),
            (16, "invoice", "E4", "1999", None, "22224"),
            (17, "void", "E4", "-1999", None, "20225"),
            (18, "payment", "E4", "-1999", None, "18226"),
            (20, "refund", "E1", "2799", "4500", "21025"),  # only the 2799 of credit the client still had
            (25, "write_off", "E3", "-2500", None, "18525"),
        ],
        "invoiced": "27049", "paid": "-15024", "refunded": "2499", "closed": "-4499",
        "closing": "18525", "outstanding": "18525", "credit": "0",
        "today": "24525",
    },
    "KWD": {
        "opening": "105.250",
        "lines": [
            (3, "invoice", "E2", "250.505", None, "355.755"),
            (5, "payment", "E1", "-100.000", None, "255.755"),
            (10, "credit_payment", "E2", "0.000", "10.000", "255.755"),
            (12, "payment", "E2", "-30.250", None, "225.505"),
            (14, "refund", "E2", "-2.345", "2.345", "223.160"),
            (16, "invoice", "E4", "19.999", None, "243.159"),
            (17, "void", "E4", "-19.999", None, "223.160"),
            (18, "payment", "E4", "-19.999", None, "203.161"),
            (20, "refund", "E1", "19.625", "45.000", "222.786"),
            (25, "write_off", "E3", "-24.875", None, "197.911"),
        ],
        "invoiced": "270.504", "paid": "-150.249", "refunded": "17.280", "closed": "-44.874",
        "closing": "197.911", "outstanding": "210.255", "credit": "12.344",
        "today": "255.566",
    },
}  # fmt: skip


def figures(value):
    """A Decimal as its exact text, so that 12.50 and 12.5 (a wrong exponent) differ."""
    return None if value is None else str(value)


@pytest.fixture
def client_a(site_a):
    return ClientFactory(site=site_a, name="Wile E. Coyote")


@pytest.fixture
def history(site_a, client_a):
    """One client with the same history in EUR, JPY and KWD."""
    return {currency: make_history(site_a, client_a, currency) for currency in AMOUNTS}


def section(statement, currency):
    (found,) = [section for section in statement.currencies if section.currency == currency]
    return found


class TestFigures:
    @pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD"])
    def test_every_figure_of_the_month(self, client_a, history, currency):
        expected, invoices = EXPECTED[currency], history[currency]
        statement = build_statement(client_a, **FEBRUARY)
        found = section(statement, currency)
        assert figures(found.opening_balance) == expected["opening"]
        assert [
            (
                timezone.localtime(line.when).date(),
                line.kind,
                line.invoice_number,
                figures(line.amount),
                figures(line.memo),
                figures(line.balance),
            )
            for line in found.lines
        ] == [
            (date(2026, 2, day), kind, invoices[key].number, amount, memo, balance)
            for day, kind, key, amount, memo, balance in expected["lines"]
        ]
        assert {
            name: figures(getattr(found, attribute))
            for name, attribute in [
                ("invoiced", "invoiced"),
                ("paid", "paid"),
                ("refunded", "refunded"),
                ("closed", "closed"),
                ("closing", "closing_balance"),
                ("outstanding", "outstanding"),
                ("credit", "credit"),
            ]
        } == {
            name: expected[name]
            for name in ("invoiced", "paid", "refunded", "closed", "closing", "outstanding", "credit")
        }
        assert found.closing_balance == found.outstanding - found.credit

    def test_the_statement_has_one_section_per_currency_in_order(self, client_a, site_a, history):
        statement = build_statement(client_a, **FEBRUARY)
        assert [section.currency for section in statement.currencies] == ["EUR", "JPY", "KWD"]
        assert (statement.client, statement.site, statement.start, statement.end) == (
            client_a,
            site_a,
            date(2026, 2, 1),
            date(2026, 2, 28),
        )

    def test_the_lines_say_what_happened(self, client_a, history):
        lines = section(build_statement(client_a, **FEBRUARY), "EUR").lines
        number = history["EUR"]["E2"].number
        assert [line.description for line in lines] == [
            "Website relaunch",
            "Card payment, the overpayment kept as account credit",
            f"Paid {number} with account credit",
            "Payment received",
            "Credit payment refunded to account credit",
            "Services",
            "Voided",
            "Card payment for a closed invoice, kept as account credit",
            "Refund; unused account credit taken back",
            "Written off as uncollectible",
        ]

    @pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD"])
    def test_a_statement_to_today_closes_on_what_the_client_summary_shows(self, client_a, history, currency):
        statement = build_statement(client_a, start=date(2025, 1, 1), end=timezone.localdate())
        found = section(statement, currency)
        open_due = sum(
            (
                invoice.amount_due
                for invoice in Invoice.objects.filter(client=client_a, currency=currency, status="open")
            ),
            D(0),
        )
        assert found.closing_balance == open_due - CreditEntry.objects.balance(client_a, currency)
        assert figures(found.closing_balance) == EXPECTED[currency]["today"]
        assert found.opening_balance == 0

    def test_the_opening_balance_is_the_history_before_the_start(self, client_a, history):
        march = build_statement(client_a, start=date(2026, 3, 1), end=date(2026, 3, 31))
        found = section(march, "EUR")
        assert figures(found.opening_balance) == "195.26"  # February's closing
        assert [(line.kind, figures(line.amount), figures(line.balance)) for line in found.lines] == [
            ("invoice", "70.00", "265.26"),
            ("payment", "-10.00", "255.26"),
        ]

    def test_a_quiet_period_still_shows_a_currency_with_a_balance(self, client_a, history):
        statement = build_statement(client_a, start=date(2026, 6, 1), end=date(2026, 6, 30))
        found = section(statement, "KWD")
        assert found.lines == ()
        assert figures(found.opening_balance) == figures(found.closing_balance) == "255.566"

    def test_the_same_instant_lists_the_invoice_before_its_payments_then_by_id(self, site_a, client_a):
        invoice = issue(site_a, client_a, "EUR", "100.00", at(2, 10, 9))
        first = manual(invoice, "30.00", at(2, 10, 9))
        second = manual(invoice, "20.00", at(2, 10, 9))
        Invoice.objects.filter(pk=invoice.pk).update(issued_at=at(2, 10, 9))
        lines = section(build_statement(client_a, **FEBRUARY), "EUR").lines
        assert first.pk < second.pk
        assert [(line.kind, figures(line.balance)) for line in lines] == [
            ("invoice", "100.00"),
            ("payment", "70.00"),
            ("payment", "50.00"),
        ]

    def test_late_money_on_a_written_off_invoice_leaves_the_balance_alone(self, site_a, client_a):
        """Money still settles a written-off invoice; by then it is no longer owed, so the balance
        was lowered by the write-off, and the late payment changes nothing."""
        invoice = issue(site_a, client_a, "EUR", "100.00", at(1, 10))
        manual(invoice, "30.00", at(1, 20))
        mark_uncollectible(invoice, reason="Gone")
        closed_on(invoice, at(2, 5))
        manual(invoice, "70.00", at(3, 5))
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
        february = section(build_statement(client_a, **FEBRUARY), "EUR")
        assert [(line.kind, figures(line.amount)) for line in february.lines] == [("write_off", "-70.00")]
        assert (figures(february.closing_balance), figures(february.outstanding)) == ("0.00", "0.00")
        march = section(build_statement(client_a, start=date(2026, 3, 1), end=date(2026, 3, 31)), "EUR")
        assert [(line.kind, figures(line.amount)) for line in march.lines] == [("payment", "0.00")]

    def test_credit_given_outside_a_payment_lowers_the_balance(self, site_a, client_a):
        """No service adds credit on its own today; an entry without payment or refund still counts."""
        issue(site_a, client_a, "KWD", "10.000", at(2, 2))
        entry = CreditEntry.objects.create(
            client=client_a, currency="KWD", amount=D("1.250"), kind=CreditEntry.Kind.OVERPAYMENT, note="Goodwill"
        )
        CreditEntry.objects.filter(pk=entry.pk).update(created_at=at(2, 9))
        found = section(build_statement(client_a, **FEBRUARY), "KWD")
        assert [(line.kind, line.description, figures(line.amount), figures(line.balance)) for line in found.lines] == [
            ("invoice", "Services", "10.000", "10.000"),
            ("credit", "Goodwill", "-1.250", "8.750"),
        ]
        assert (figures(found.outstanding), figures(found.credit)) == ("10.000", "1.250")

    def test_days_are_local_days(self, site_a, client_a, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        berlin = ZoneInfo("Europe/Berlin")
        issue(site_a, client_a, "EUR", "1.00", datetime(2026, 1, 31, 23, 45, tzinfo=berlin))  # before
        issue(site_a, client_a, "EUR", "2.00", datetime(2026, 2, 1, 0, 15, tzinfo=berlin))  # 31 Jan in UTC
        issue(site_a, client_a, "EUR", "4.00", datetime(2026, 2, 28, 23, 30, tzinfo=berlin))
        issue(site_a, client_a, "EUR", "8.00", datetime(2026, 3, 1, 0, 30, tzinfo=berlin))  # 28 Feb in UTC
        found = section(build_statement(client_a, **FEBRUARY), "EUR")
        assert figures(found.opening_balance) == "1.00"
        assert [figures(line.amount) for line in found.lines] == ["2.00", "4.00"]
        assert figures(found.closing_balance) == "7.00"


class TestScope:
    def test_other_clients_and_other_websites_never_appear(self, site_a, client_a):
        site_b = make_website("globex.test", prefix="GLX", currency="USD")
        ours = issue(site_a, client_a, "EUR", "100.00", at(2, 2))
        neighbour = ClientFactory(site=site_a, email=client_a.email)
        theirs = issue(site_a, neighbour, "EUR", "999.00", at(2, 3))
        card(theirs, "1200.00", at(2, 4), "pi_neighbour")  # overpaid: the neighbour has credit
        stranger = ClientFactory(site=site_b, name=client_a.name, email=client_a.email)
        elsewhere = issue(site_b, stranger, "EUR", "555.00", at(2, 3))
        manual(elsewhere, "55.00", at(2, 5))
        found = section(build_statement(client_a, **FEBRUARY), "EUR")
        assert [line.invoice_number for line in found.lines] == [ours.number]
        assert (figures(found.closing_balance), figures(found.credit)) == ("100.00", "0.00")

    def test_drafts_never_appear(self, site_a, client_a):
        issue(site_a, client_a, "EUR", "100.00", at(2, 2))
        draft_invoice(site_a, client=client_a, currency="JPY", lines=[line(unit_price="5000")])
        draft_invoice(site_a, client=client_a, currency="EUR", lines=[line(unit_price="7.00")])
        statement = build_statement(client_a, start=date(2026, 1, 1), end=timezone.localdate())
        assert [section.currency for section in statement.currencies] == ["EUR"]
        assert [line.kind for line in statement.currencies[0].lines] == ["invoice"]

    def test_a_client_without_activity_gets_an_empty_statement(self, client_a):
        statement = build_statement(client_a, **FEBRUARY)
        assert statement.currencies == ()
        assert "No activity in this period." in pdf_text(statement_pdf(statement))

    def test_a_start_after_the_end_is_refused(self, client_a):
        with pytest.raises(ValidationFailed, match="cannot start on 2026-03-01, after its end on 2026-02-28"):
            build_statement(client_a, start=date(2026, 3, 1), end=date(2026, 2, 28))

    def test_a_single_day_is_a_range(self, site_a, client_a):
        issue(site_a, client_a, "EUR", "100.00", at(2, 2))
        statement = build_statement(client_a, start=date(2026, 2, 2), end=date(2026, 2, 2))
        assert figures(statement.currencies[0].closing_balance) == "100.00"


def read_csv(content):
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


class TestCsv:
    def test_the_rows_give_back_the_statements_figures(self, client_a, history):
        statement = build_statement(client_a, **FEBRUARY)
        rows = read_csv(statement_csv(statement))
        assert list(rows[0]) == ["Currency", "Date", "Kind", "Invoice", "Description", "Amount", "Memo", "Balance"]
        for currency in ("EUR", "JPY", "KWD"):
            expected = EXPECTED[currency]
            mine = [row for row in rows if row["Currency"] == currency]
            opening, *lines, closing = mine
            assert (opening["Kind"], opening["Date"], opening["Balance"]) == (
                "opening",
                "2026-02-01",
                expected["opening"],
            )
            assert (closing["Kind"], closing["Date"], closing["Balance"]) == (
                "closing",
                "2026-02-28",
                expected["closing"],
            )
            assert [
                (row["Date"], row["Kind"], row["Invoice"], row["Amount"], row["Memo"] or None, row["Balance"])
                for row in lines
            ] == [
                (f"2026-02-{day:02}", kind, history[currency][key].number, amount, memo, balance)
                for day, kind, key, amount, memo, balance in expected["lines"]
            ]
            found = section(statement, currency)
            assert [D(row["Amount"]) for row in lines] == [line.amount for line in found.lines]

    def test_formulas_in_text_are_neutralised(self, site_a, client_a):
        issue(site_a, client_a, "EUR", "12.50", at(2, 2), title='=HYPERLINK("https://evil.example","Pay here")')
        issue(site_a, client_a, "EUR", "1.00", at(2, 3), title="@SUM(A1:A9)")
        issue(site_a, client_a, "EUR", "1.00", at(2, 4), title="Plain, with a comma and “quotes”")
        rows = read_csv(statement_csv(build_statement(client_a, **FEBRUARY)))
        assert [row["Description"] for row in rows[1:-1]] == [
            '\'=HYPERLINK("https://evil.example","Pay here")',
            "'@SUM(A1:A9)",
            "Plain, with a comma and “quotes”",
        ]
        assert [row["Amount"] for row in rows[1:-1]] == ["12.50", "1.00", "1.00"]

    def test_a_negative_amount_stays_a_number(self, site_a, client_a):
        invoice = issue(site_a, client_a, "JPY", "1200", at(2, 2))
        manual(invoice, "1200", at(2, 3))
        rows = read_csv(statement_csv(build_statement(client_a, **FEBRUARY)))
        assert [(row["Amount"], row["Balance"]) for row in rows] == [
            ("", "0"),
            ("1200", "1200"),
            ("-1200", "0"),
            ("", "0"),
        ]

    def test_the_file_is_named_after_the_period(self, client_a):
        statement = build_statement(client_a, start=date(2026, 1, 1), end=date(2026, 3, 31))
        assert statement_filename(statement, "pdf") == "statement-2026-01-01-2026-03-31.pdf"
        assert statement_filename(statement, "csv") == "statement-2026-01-01-2026-03-31.csv"


def words(text):
    """Extracted text as words separated by single spaces: a description wraps in its column."""
    return " ".join(flat(text).split())


class TestPdf:
    @pytest.fixture
    def german(self, site_a):
        billing = BillingSettings.for_site(site_a)
        billing.legal_name, billing.locale = "Acme GmbH", "de_DE"
        billing.save()

    def test_shows_each_currencys_closing_balance_in_the_sites_locale(self, client_a, history, german):
        text = flat(pdf_text(statement_pdf(build_statement(client_a, **FEBRUARY))))
        assert "STATEMENT OF ACCOUNT" in text and "Acme GmbH" in text and "Wile E. Coyote" in text
        assert "01.02.2026" in text and "28.02.2026" in text
        for closing in ("195,26 €", "18.525 ¥", "197,911 KWD"):
            assert f"Closing balance {closing}" in text
        # The reconciliation of the KWD account, and a refund's memo.
        assert "210,255 KWD" in text and "12,344 KWD" in text and "Refunded: 45,00 €" in text

    def test_text_in_other_scripts(self, site_a, german):
        client = ClientFactory(site=site_a, name="Ελληνική Εταιρεία ΑΕ", billing_address="Λεωφόρος Συγγρού 10\nΑθήνα")
        issue(site_a, client, "EUR", "10.00", at(2, 2), title="Ремонт офиса — Łódź, Ørsted, İstanbul")
        text = words(pdf_text(statement_pdf(build_statement(client, **FEBRUARY))))
        for name in ("Ελληνική Εταιρεία ΑΕ", "Λεωφόρος Συγγρού 10", "Ремонт офиса — Łódź, Ørsted, İstanbul"):
            assert name in text

    def test_a_long_statement_runs_over_several_pages(self, site_a, client_a):
        """Two hundred lines through the services (100 invoices, each paid), then on paper."""
        for index in range(100):
            invoice = issue(site_a, client_a, "EUR", "10.00", at(2, 1 + index % 28, 8), title=f"Order {index}")
            manual(invoice, "10.00", at(2, 1 + index % 28, 9))
        statement = build_statement(client_a, **FEBRUARY)
        assert len(statement.currencies[0].lines) == 200
        pages = page_texts(statement_pdf(statement))
        assert len(pages) >= 5
        assert all(f"Page {number} of {len(pages)}" in text for number, text in enumerate(pages, start=1))
        assert all("Account in EUR (continued) Date Document Description" in words(text) for text in pages[1:])
        assert "Closing balance €0.00" in flat(pages[-1])
        assert sum(flat(text).count("Order ") for text in pages) == 100


def test_the_pdf_renderer_alone_handles_a_thousand_rows():
    """The renderer sees plain data: many rows and currencies, long descriptions, page after page."""
    rows = tuple(
        StatementRow(
            day=date(2026, 2, 1 + n % 28),
            kind="invoice" if n % 2 else "refund",
            document=f"ACME-2026-{n:05}",
            description=("A long description of the work done " * (n % 7)) or "Short",
            amount=D("12.345") if n % 2 else D("-12.345"),
            memo=None if n % 2 else D("12.345"),
            balance=D("12.345") if n % 2 else D("0.000"),
        )
        for n in range(500)
    )
    sections = tuple(
        StatementSection(currency, D(0), rows, D(0), D(0), D(0), D(0), D(0), D(0), D(0)) for currency in ("KWD", "BHD")
    )
    document = StatementDocument(
        seller=Party(name="Acme"),
        client=Party(name="Client"),
        start=date(2026, 2, 1),
        end=date(2026, 2, 28),
        sections=sections,
        issued_on=date(2026, 3, 1),
        created_at=datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC")),
    )
    pdf = render_statement(document)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 40
    assert render_statement(document) == pdf  # the same data gives the same bytes
