"""A client splits an invoice into three monthly instalments on the pay page, in a real browser,
pays the first by card (localstripe's Stripe.js), and finds instalment 1 paid and instalment 2 next
on the page the receipt links back to; the invoice stays open with the rest to pay."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import BillingSettings
from tests.e2e.test_card_payment import fill_card
from tests.factories import ClientFactory, line, make_website, open_invoice

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_client_picks_a_three_instalment_plan_and_pays_the_first_by_card(
    page, live_server, stripe_server, empty_cache, artifact_path
):
    site = make_website("plans.localhost", port=urlsplit(live_server.url).port, prefix="PLAN")
    billing = BillingSettings.for_site(site)
    billing.plans_enabled, billing.plan_instalment_options, billing.plan_minimum_amount = True, "2,3", Decimal(100)
    billing.save()
    invoice, link = open_invoice(
        site,
        client=ClientFactory(site=site),
        lines=[line("Website redesign", "1", "900.00")],
        allow_partial_payments=False,
    )

    page.goto(link.url)
    offers = page.locator("[data-plan-offers]")
    expect(offers).to_be_visible()
    # Each instalment's amount and date are shown before the client commits.
    three = offers.locator('[data-plan-offer="3"]')
    expect(three.locator("li")).to_have_count(3)
    expect(three.locator("li").first).to_contain_text("300.00 EUR by " + timezone.localdate().strftime("%-d %B %Y"))
    three.get_by_label("3 monthly instalments").check()
    page.get_by_role("button", name="Choose this plan").click()

    schedule = page.locator("[data-plan-schedule]")
    expect(schedule.locator("tbody tr")).to_have_count(3)
    expect(schedule.locator('[data-instalment="1"]')).to_have_attribute("data-instalment-state", "next")
    expect(page.locator("[data-plan-offers]")).to_have_count(0)
    expect(page.get_by_label("Pay the instalment due now (300.00 EUR)")).to_be_checked()
    page.screenshot(path=artifact_path("payment-plan-chosen.png"), full_page=True)

    page.get_by_role("button", name="Pay by card").click()
    expect(page.locator("#card-amount")).to_have_text("300.00 EUR")
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay now").click()

    expect(page.locator(".receipt-thanks")).to_contain_text("300.00 EUR")
    # The receipt links to the rest, on the link that the partial payment issued.
    page.get_by_role("link", name="Pay the rest").click()
    schedule = page.locator("[data-plan-schedule]")
    expect(schedule.locator('[data-instalment="1"]')).to_have_attribute("data-instalment-state", "paid")
    expect(schedule.locator('[data-instalment="2"]')).to_have_attribute("data-instalment-state", "next")
    expect(page.get_by_label("Pay the instalment due now (300.00 EUR)")).to_be_checked()
    page.screenshot(path=artifact_path("payment-plan-after-first-instalment.png"), full_page=True)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_due == Decimal("600.00")
    assert invoice.collect_by == invoice.instalments.get(sequence=2).due_date
