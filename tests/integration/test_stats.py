"""Billing statistics against a fixed data set whose every figure was worked out by hand.

The data set is built through the services, at fixed instants (time-machine), so that issue and
payment times are the ones the real flows would record. The day of reference is 15 June 2026; the
period is May 2026. The dashboard and report tests reuse it.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from invoicing.models import Payment, PaymentMethod
from invoicing.models.access import billing_sites
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import apply_payment, pay_with_credit, record_manual_payment, record_refund
from invoicing.services.stats import invoice_stats, month_start, monthly_stats, trailing_months
from tests.factories import ClientFactory, UserFactory, line, open_invoice

AS_OF = date(2026, 6, 15)
MAY = {"start": date(2026, 5, 1), "end": date(2026, 5, 31)}


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def issue(site, amount, issued, due, *, currency=None, client=None):
    with time_machine.travel(at(issued), tick=False):
        invoice, _ = open_invoice(
            site, lines=[line(unit_price=amount)], currency=currency, due_date=date.fromisoformat(due), client=client
        )
    return invoice


def pay(invoice, amount, when, method=PaymentMethod.STRIPE):
    with time_machine.travel(at(when), tick=False):
        if method == PaymentMethod.MANUAL:
            return record_manual_payment(invoice, reason="Bank transfer", by=None, amount=Decimal(amount)).payment
        return apply_payment(
            invoice,
            method=method,
            amount=Decimal(amount),
            currency=invoice.currency,
            provider_reference=f"pi_{invoice.pk}_{when}",
        ).payment


def refund(payment, amount, when):
    with time_machine.travel(at(when), tick=False):
        record_refund(payment, amount=Decimal(amount), provider_reference=f"re_{payment.pk}_{when}")


def build_billing_data(site_a, site_b):
    """Site A bills in EUR (and once in JPY), site B in USD (and once in KWD). Comments give what each
    invoice owes on 15 June 2026 and how many days past due it is then."""
    # EUR, issued in May.
    a1 = issue(site_a, "100.00", "2026-05-03 10:00", "2026-05-17")
    refund(pay(a1, "100.00", "2026-05-13 10:00"), "30.00", "2026-05-25 12:00")  # paid after 10 days
    a2 = issue(site_a, "250.00", "2026-05-10 09:00", "2026-05-25")  # owes 150.00, 21 days past due
    pay(a2, "100.00", "2026-05-20 15:00", PaymentMethod.MANUAL)
    a6 = issue(site_a, "300.00", "2026-05-20 09:00", "2026-06-30")  # owes 300.00, not yet due
    Payment.objects.create(  # a card payment still processing counts nowhere
        invoice=a6, method=PaymentMethod.STRIPE, amount=Decimal("300.00"), currency="EUR",
        status=Payment.Status.PROCESSING, provider_reference="pi_processing",
    )  # fmt: skip
    a7 = issue(site_a, "500.00", "2026-05-05 09:00", "2026-05-19")
    invoice_services.void_invoice(a7, reason="Sent twice")
    invoice_services.create_invoice(site=site_a, client=ClientFactory(site=site_a), title="Draft", lines=[line()])
    a9 = issue(site_a, "120.00", "2026-05-02 09:00", "2026-05-16")
    invoice_services.mark_uncollectible(a9, reason="Client went bust")
    wallet = ClientFactory(site=site_a)
    a10 = issue(site_a, "50.00", "2026-05-04 12:00", "2026-05-18", client=wallet)
    overpayment = pay(a10, "70.00", "2026-05-06 00:00")  # paid after 1.5 days; 20.00 goes to credit
    a11 = issue(site_a, "30.00", "2026-05-07 09:00", "2026-06-15", client=wallet)  # owes 10.00, due on the day
    with time_machine.travel(at("2026-05-08 09:00"), tick=False):
        credit_payment = pay_with_credit(a11).payment  # 20.00 of credit
    refund(credit_payment, "5.00", "2026-05-26 09:00")  # back to the wallet, not to the client
    refund(overpayment, "10.00", "2026-06-02 09:00")  # in June; takes the wallet's 5.00 back
    # EUR, issued before May.
    a3 = issue(site_a, "80.00", "2026-03-01 09:00", "2026-03-16")  # owes 80.00, 91 days past due
    a5 = issue(site_a, "40.00", "2026-03-10 09:00", "2026-03-17")  # owes 40.00, 90 days past due
    a4 = issue(site_a, "60.00", "2026-04-01 09:00", "2026-05-15")  # owes 45.00, 31 days past due
    pay(a4, "15.00", "2026-04-10 09:00", PaymentMethod.MANUAL)
    # JPY: no minor unit.
    a12 = issue(site_a, "5000", "2026-05-15 09:00", "2026-06-01", currency="JPY")  # owes 3000, 14 days past due
    pay(a12, "2000", "2026-05-16 09:00", PaymentMethod.MANUAL)
    # USD on site B.
    b1 = issue(site_b, "1000.00", "2026-05-01 00:30", "2026-05-31")
    pay(b1, "1000.00", "2026-05-31 23:00", PaymentMethod.MANUAL)  # paid after 30 days 22.5 hours
    b2 = issue(site_b, "400.00", "2026-04-30 23:30", "2026-05-20")  # April; owes 400.00, 26 days past due
    b4 = issue(site_b, "75.00", "2026-05-09 09:00", "2026-05-23")
    invoice_services.void_invoice(b4, reason="Wrong client")
    # KWD: three decimal places.
    b3 = issue(site_b, "12.345", "2026-05-12 08:00", "2026-05-26", currency="KWD")
    pay(b3, "12.345", "2026-05-14 08:00")  # paid after 2 days
    return {"a3": a3, "a5": a5, "b2": b2}


@pytest.fixture
def billing_data(site_a, site_b):
    return build_billing_data(site_a, site_b)


def by_currency(stats):
    return {figures.currency: figures for figures in stats}


def money(figures):
    """Amounts as strings, so that the currency's exponent is checked too."""
    return {name: str(value) for name, value in figures.items()}


def test_eur_figures_for_may(billing_data, admin_user):
    eur = by_currency(invoice_stats(billing_sites(admin_user), **MAY, as_of=AS_OF))["EUR"]
    # Issued in May, void A7 and the draft left out: A1 and A10 paid, A2, A6 and A11 open, A9 written off.
    assert (eur.invoice_count, eur.paid_count, eur.unpaid_count, eur.uncollectible_count) == (6, 2, 3, 1)
    assert str(eur.invoiced) == "850.00"  # 100 + 250 + 300 + 120 + 50 + 30
    # Card 100 + 70 less the 30 refunded in May, plus manual 100; the credit payment is not cash.
    assert str(eur.collected) == "240.00"
    assert eur.average_days_to_pay == Decimal("5.8")  # (10 + 1.5) / 2 = 5.75
    methods = {
        method: (figures.count, str(figures.amount), str(figures.refunded)) for method, figures in eur.by_method.items()
    }
    assert methods == {
        "stripe": (2, "170.00", "30.00"),
        "manual": (1, "100.00", "0.00"),
        "credit": (1, "20.00", "5.00"),
    }
    # All open invoices on 15 June: A2 150 + A3 80 + A4 45 + A5 40 + A6 300 + A11 10; A9 was written off.
    assert str(eur.outstanding) == "625.00"
    assert (eur.overdue_count, str(eur.overdue_amount)) == (4, "315.00")
    aging = {bucket.key: (bucket.count, str(bucket.amount)) for bucket in eur.aging}
    assert aging == {
        "current": (2, "310.00"),  # A6, and A11 due on the day itself
        "1_30": (1, "150.00"),  # A2
        "31_60": (1, "45.00"),  # A4, 31 days
        "61_90": (1, "40.00"),  # A5, 90 days
        "over_90": (1, "80.00"),  # A3, 91 days
    }


def test_figures_of_other_currencies_keep_their_exponent(billing_data, admin_user):
    stats = by_currency(invoice_stats(billing_sites(admin_user), **MAY, as_of=AS_OF))
    assert list(stats) == ["EUR", "JPY", "KWD", "USD"]

    jpy = stats["JPY"]
    assert (jpy.invoice_count, jpy.paid_count, jpy.unpaid_count) == (1, 0, 1)
    assert money({"invoiced": jpy.invoiced, "collected": jpy.collected, "outstanding": jpy.outstanding}) == {
        "invoiced": "5000",
        "collected": "2000",
        "outstanding": "3000",
    }
    assert (jpy.overdue_count, str(jpy.overdue_amount), jpy.average_days_to_pay) == (1, "3000", None)
    assert [(bucket.key, bucket.count, str(bucket.amount)) for bucket in jpy.aging if bucket.count] == [
        ("1_30", 1, "3000")
    ]

    kwd = stats["KWD"]
    assert (kwd.invoice_count, kwd.paid_count, str(kwd.invoiced), str(kwd.collected)) == (1, 1, "12.345", "12.345")
    assert (str(kwd.outstanding), kwd.overdue_count, kwd.average_days_to_pay) == ("0.000", 0, Decimal("2.0"))
    assert str(kwd.by_method["stripe"].amount) == "12.345"

    usd = stats["USD"]
    # B2 was issued on 30 April at 23:30, so it is April's; B4 is void.
    assert (usd.invoice_count, usd.paid_count, usd.unpaid_count, str(usd.invoiced)) == (1, 1, 0, "1000.00")
    assert (str(usd.collected), usd.average_days_to_pay) == ("1000.00", Decimal("30.9"))  # 30.9375 days
    assert (str(usd.outstanding), usd.overdue_count, str(usd.overdue_amount)) == ("400.00", 1, "400.00")
    assert usd.by_method["manual"].count == 1 and usd.by_method["stripe"].count == 0


def test_a_user_with_access_to_site_a_only_gets_site_a_figures(billing_data, admin_user, acme_viewer):
    mine = by_currency(invoice_stats(billing_sites(acme_viewer), **MAY, as_of=AS_OF))
    everyone = by_currency(invoice_stats(billing_sites(admin_user), **MAY, as_of=AS_OF))
    assert list(mine) == ["EUR", "JPY"]
    assert mine["EUR"] == everyone["EUR"] and mine["JPY"] == everyone["JPY"]
    assert invoice_stats(billing_sites(UserFactory(username="nobody", is_staff=True)), **MAY) == []


def test_the_monthly_series(billing_data, admin_user):
    rows = monthly_stats(billing_sites(admin_user), start=date(2026, 4, 1), end=date(2026, 6, 30))
    summary = {
        (row.month.isoformat(), row.currency): (
            row.invoice_count,
            row.paid_count,
            row.unpaid_count,
            row.uncollectible_count,
            str(row.invoiced),
            str(row.outstanding),
            str(row.collected),
            row.average_days_to_pay,
        )
        for row in rows
    }
    assert list(summary) == [
        ("2026-04-01", "EUR"),
        ("2026-04-01", "USD"),
        ("2026-05-01", "EUR"),
        ("2026-05-01", "JPY"),
        ("2026-05-01", "KWD"),
        ("2026-05-01", "USD"),
        ("2026-06-01", "EUR"),
    ]
    assert summary["2026-04-01", "EUR"] == (1, 0, 1, 0, "60.00", "45.00", "15.00", None)  # A4 and its payment
    assert summary["2026-04-01", "USD"] == (1, 0, 1, 0, "400.00", "400.00", "0.00", None)  # B2
    # May's invoices still owe A2 150 + A6 300 + A11 10.
    assert summary["2026-05-01", "EUR"] == (6, 2, 3, 1, "850.00", "460.00", "240.00", Decimal("5.8"))
    assert summary["2026-05-01", "JPY"] == (1, 0, 1, 0, "5000", "3000", "2000", None)
    assert summary["2026-05-01", "KWD"] == (1, 1, 0, 0, "12.345", "0.000", "12.345", Decimal("2.0"))
    assert summary["2026-05-01", "USD"] == (1, 1, 0, 0, "1000.00", "0.00", "1000.00", Decimal("30.9"))
    # June has only the refund of A10's overpayment.
    assert summary["2026-06-01", "EUR"] == (0, 0, 0, 0, "0.00", "0.00", "-10.00", None)
    june = rows[-1].by_method["stripe"]
    assert (june.count, str(june.amount), str(june.refunded)) == (0, "0.00", "10.00")


def test_a_local_day_decides_the_month(site_a, admin_user, settings):
    """23:30 UTC on 30 April is already 1 May in Berlin: the period and the months follow local days."""
    settings.TIME_ZONE = "Europe/Berlin"
    issue(site_a, "10.00", "2026-04-30 23:30", "2026-05-20")
    may = invoice_stats(billing_sites(admin_user), **MAY, as_of=AS_OF)
    assert [(figures.currency, figures.invoice_count) for figures in may] == [("EUR", 1)]
    [row] = monthly_stats(billing_sites(admin_user), start=date(2026, 4, 1), end=date(2026, 5, 31))
    assert row.month == date(2026, 5, 1)


@pytest.mark.parametrize("invoices", [5, 50])
def test_the_number_of_queries_does_not_grow_with_invoices(
    invoices, site_a, site_b, admin_user, django_assert_num_queries
):
    for serial in range(invoices):
        invoice = issue(site_a if serial % 2 else site_b, "20.00", "2026-05-02 09:00", "2026-05-20")
        refund(pay(invoice, "20.00", "2026-05-03 09:00"), "5.00", "2026-05-04 09:00")
    sites = billing_sites(admin_user)
    with django_assert_num_queries(3):  # invoices, payments, refunds
        stats = invoice_stats(sites, **MAY, as_of=AS_OF)
    assert sum(figures.invoice_count for figures in stats) == invoices
    with django_assert_num_queries(4):  # invoices by month issued and by month paid, payments, refunds
        rows = monthly_stats(sites, **MAY)
    assert sum(row.invoice_count for row in rows) == invoices


def test_periods_of_whole_months():
    assert month_start(date(2026, 1, 31), months_back=1) == date(2025, 12, 1)
    assert trailing_months(12, today=date(2026, 11, 26)) == (date(2025, 12, 1), date(2026, 11, 26))
