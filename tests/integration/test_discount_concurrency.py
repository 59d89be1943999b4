"""Drafts racing for a discount code's last use, with real threads and real row locks (PostgreSQL:
SQLite serialises writers and would hide a missing ``select_for_update``)."""

from decimal import Decimal

import pytest

from invoicing.core.exceptions import ValidationFailed
from invoicing.models import DiscountCode, Invoice
from invoicing.services.discounts import apply_discount_code
from tests.factories import ClientFactory, draft_invoice, make_website
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def apply_to(invoice):
    return apply_discount_code(Invoice.objects.get(pk=invoice.pk), "LAST")


def outcome(results):
    won = [r for r in results if isinstance(r, Invoice)]
    lost = [r for r in results if isinstance(r, Exception)]
    return won, lost


def test_two_drafts_racing_for_the_last_use_one_wins():
    site = make_website("lastuse.test")
    code = DiscountCode.objects.create(site=site, code="LAST", percent=Decimal("10"), max_redemptions=3)
    for _ in range(2):  # two of the three uses are gone
        apply_discount_code(draft_invoice(site), "LAST")
    drafts = [draft_invoice(site) for _ in range(2)]
    won, lost = outcome(run_together(apply_to, drafts))
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], ValidationFailed)
    assert lost[0].message == "The discount code LAST has been used as many times as it may be (3)."
    code.refresh_from_db()
    assert code.times_redeemed == 3 == code.redemptions.count()
    discounted = Invoice.objects.filter(pk__in=[d.pk for d in drafts], discount_code=code)
    assert [invoice.total for invoice in discounted] == [Decimal("90.00")]


def test_many_drafts_racing_never_overuse_a_code():
    site = make_website("manyuses.test")
    code = DiscountCode.objects.create(site=site, code="LAST", percent=Decimal("10"), max_redemptions=3)
    won, lost = outcome(run_together(apply_to, [draft_invoice(site) for _ in range(8)]))
    assert (len(won), len(lost)) == (3, 5)
    assert all(isinstance(error, ValidationFailed) for error in lost)
    code.refresh_from_db()
    assert code.times_redeemed == 3 == code.redemptions.count()


def test_one_clients_drafts_racing_for_its_last_use():
    site = make_website("perclient.test")
    code = DiscountCode.objects.create(site=site, code="LAST", percent=Decimal("10"), max_per_client=1)
    client = ClientFactory(site=site)
    won, lost = outcome(run_together(apply_to, [draft_invoice(site, client=client) for _ in range(2)]))
    assert len(won) == 1 and len(lost) == 1 and "as many times as a client may (1)" in lost[0].message
    code.refresh_from_db()
    assert code.times_redeemed == 1 == code.redemptions.count()


def test_drafts_swapping_codes_do_not_deadlock():
    site = make_website("swap.test")
    first = DiscountCode.objects.create(site=site, code="FIRST", percent=Decimal("5"))
    second = DiscountCode.objects.create(site=site, code="SECOND", percent=Decimal("7"))
    one, other = draft_invoice(site), draft_invoice(site)
    apply_discount_code(one, "FIRST")
    apply_discount_code(other, "SECOND")
    swaps = [(one, "SECOND"), (other, "FIRST")]
    results = run_together(lambda swap: apply_discount_code(Invoice.objects.get(pk=swap[0].pk), swap[1]), swaps)
    assert not [r for r in results if isinstance(r, Exception)]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.times_redeemed, second.times_redeemed) == (1, 1)
