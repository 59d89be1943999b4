"""Discount codes on drafts: the checks, the totals, the uses counted and given back, and the admin
(the codes' snippets, and the invoice actions that apply and remove one)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from invoicing.core.exceptions import InvalidTransition, ValidationFailed
from invoicing.models import DiscountCode, DiscountRedemption, Invoice, InvoiceEvent
from invoicing.services import invoices as invoice_services
from invoicing.services.discounts import apply_discount_code, remove_discount_code
from invoicing.services.redemptions import take_use
from tests.factories import ClientFactory, draft_invoice, line, open_invoice

pytestmark = pytest.mark.django_db

TWO_RATES = [line("Design", unit_price="100.00", tax_rate="20"), line("Hosting", unit_price="50.00", tax_rate="10")]


def make_code(site, code="WELCOME10", **fields):
    if fields.get("kind") == DiscountCode.Kind.FIXED:
        fields.setdefault("currency", "EUR")
    else:
        fields.setdefault("percent", Decimal("10"))
    return DiscountCode.objects.create(site=site, code=code, **fields)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def refused(invoice, text):
    with pytest.raises(ValidationFailed) as error:
        apply_discount_code(invoice, text)
    return error.value.message


class TestTotals:
    def test_a_percentage_over_two_tax_rates(self, site_a):
        code = make_code(site_a)
        invoice = apply_discount_code(draft_invoice(site_a, lines=TWO_RATES), "WELCOME10")
        invoice = fresh(invoice)
        # 10 % of 100.00 at 20 % and of 50.00 at 10 %: bases 90.00 and 45.00, tax 18.00 + 4.50.
        assert (invoice.discount_total, invoice.subtotal, invoice.tax, invoice.total) == (
            Decimal("15.00"),
            Decimal("135.00"),
            Decimal("22.50"),
            Decimal("157.50"),
        )
        assert invoice.discount_label == "Discount WELCOME10 (10 %)"
        assert (invoice.discount_code, invoice.discount_percent) == (code, Decimal("10.00"))
        assert fresh(code).times_redeemed == 1
        assert DiscountRedemption.objects.get(invoice=invoice).client == invoice.client
        event = invoice.events.get(kind=InvoiceEvent.Kind.DISCOUNT_APPLIED)
        assert event.data["code"] == "WELCOME10" and Decimal(event.data["amount"]) == Decimal("15.00")

    def test_a_fixed_amount_is_shared_over_the_rates_to_the_cent(self, site_a):
        make_code(site_a, "SPRING", kind=DiscountCode.Kind.FIXED, amount=Decimal("20"))
        invoice = fresh(apply_discount_code(draft_invoice(site_a, lines=TWO_RATES), "spring"))
        # 20.00 over 100.00 and 50.00: 13.33 and 6.67; tax 20 % of 86.67 and 10 % of 43.33.
        assert (invoice.discount_total, invoice.subtotal, invoice.tax, invoice.total) == (
            Decimal("20.00"),
            Decimal("130.00"),
            Decimal("21.66"),
            Decimal("151.66"),
        )
        assert invoice.discount_label == "Discount SPRING (−20.00 EUR)"
        assert invoice.discount_percent is None

    def test_per_line_rounding_is_followed(self, site_a):
        from invoicing.models import BillingSettings

        BillingSettings.objects.filter(site=site_a).update(tax_rounding="per_line")
        make_code(site_a, percent=Decimal("15"))
        lines = [line(unit_price="0.35", tax_rate="20"), line(unit_price="0.35", tax_rate="20")]
        invoice = fresh(apply_discount_code(draft_invoice(site_a, lines=lines), "WELCOME10"))
        # Per line: 15 % of 0.35 is 0.05 (rounded), tax 20 % of 0.30 is 0.06, twice.
        assert (invoice.discount_total, invoice.tax, invoice.total) == (
            Decimal("0.10"),
            Decimal("0.12"),
            Decimal("0.72"),
        )

    def test_editing_the_lines_keeps_the_code_and_recomputes(self, site_a):
        make_code(site_a)
        invoice = apply_discount_code(draft_invoice(site_a), "WELCOME10")
        invoice_services.update_draft(fresh(invoice), lines=[line(unit_price="300.00")])
        invoice = fresh(invoice)
        assert (invoice.discount_code.code, invoice.discount_total, invoice.total) == (
            "WELCOME10",
            Decimal("30.00"),
            Decimal("270.00"),
        )

    def test_a_fixed_amount_is_capped_by_small_lines_and_whole_again_when_they_grow(self, site_a):
        make_code(site_a, "SPRING", kind=DiscountCode.Kind.FIXED, amount=Decimal("20"))
        invoice = apply_discount_code(draft_invoice(site_a), "SPRING")
        invoice_services.update_draft(fresh(invoice), lines=[line(unit_price="15.00")])
        assert (fresh(invoice).discount_total, fresh(invoice).total) == (Decimal("15.00"), Decimal("0.00"))
        invoice_services.update_draft(fresh(invoice), lines=[line(unit_price="80.00")])
        assert (fresh(invoice).discount_total, fresh(invoice).total) == (Decimal("20.00"), Decimal("60.00"))

    def test_an_issued_invoice_keeps_its_discount(self, site_a):
        make_code(site_a)
        invoice = apply_discount_code(draft_invoice(site_a, lines=TWO_RATES), "WELCOME10")
        invoice_services.issue_invoice(fresh(invoice))
        invoice = fresh(invoice)
        assert (invoice.status, invoice.discount_total, invoice.total) == ("open", Decimal("15.00"), Decimal("157.50"))


class TestChecks:
    def test_the_lookup_ignores_case_and_spaces(self, site_a):
        make_code(site_a)
        assert fresh(apply_discount_code(draft_invoice(site_a), "  welcome10 ")).discount_code.code == "WELCOME10"

    def test_another_websites_code_is_unknown(self, site_a, site_b):
        make_code(site_b)
        invoice = draft_invoice(site_a)
        assert refused(invoice, "WELCOME10") == "“WELCOME10” is not a discount code of this website."
        assert refused(invoice, "") == "Enter a discount code."

    def test_an_inactive_code_is_refused(self, site_a):
        make_code(site_a, active=False)
        assert refused(draft_invoice(site_a), "WELCOME10") == "The discount code WELCOME10 is not active."

    def test_the_validity_window_includes_its_first_and_last_days(self, site_a):
        today = timezone.localdate()
        make_code(site_a, "LAST", valid_until=today)
        make_code(site_a, "FIRST", valid_from=today)
        make_code(site_a, "GONE", valid_until=today - timedelta(days=1))
        make_code(site_a, "SOON", valid_from=today + timedelta(days=1))
        invoice = draft_invoice(site_a)
        assert "expired on" in refused(invoice, "GONE")
        assert "is valid from" in refused(invoice, "SOON")
        apply_discount_code(invoice, "LAST")
        apply_discount_code(invoice, "FIRST")
        assert fresh(invoice).discount_code.code == "FIRST"

    def test_a_fixed_amount_only_on_invoices_in_its_currency(self, site_a):
        make_code(site_a, "TENOFF", kind=DiscountCode.Kind.FIXED, amount=Decimal("10"), currency="USD")
        make_code(site_a, "USONLY", percent=Decimal("5"), currency="USD")
        invoice = draft_invoice(site_a)  # EUR
        assert refused(invoice, "TENOFF") == "The discount code TENOFF takes 10.00 USD off invoices in USD only."
        assert refused(invoice, "USONLY") == "The discount code USONLY applies to invoices in USD only."
        assert fresh(invoice).discount_code is None
        assert apply_discount_code(draft_invoice(site_a, currency="USD"), "TENOFF").total == Decimal("90.00")

    def test_the_minimum_is_of_the_lines_before_the_discount(self, site_a):
        make_code(site_a, minimum_amount=Decimal("100.00"), currency="EUR")
        below = draft_invoice(site_a, lines=[line(unit_price="99.99")])
        assert refused(below, "WELCOME10") == (
            "The discount code WELCOME10 needs lines adding up to at least 100.00 EUR; these add up to 99.99 EUR."
        )
        assert apply_discount_code(draft_invoice(site_a), "WELCOME10").total == Decimal("90.00")

    def test_issuing_checks_the_minimum_again(self, site_a):
        code = make_code(site_a, minimum_amount=Decimal("100.00"), currency="EUR")
        invoice = apply_discount_code(draft_invoice(site_a), "WELCOME10")
        invoice_services.update_draft(fresh(invoice), lines=[line(unit_price="60.00")])
        with pytest.raises(ValidationFailed, match="needs lines adding up to at least 100.00 EUR"):
            invoice_services.issue_invoice(fresh(invoice))
        assert (fresh(invoice).status, fresh(invoice).number, fresh(code).times_redeemed) == ("draft", "", 1)

    def test_issuing_checks_the_currency_again(self, site_a):
        make_code(site_a, "SPRING", kind=DiscountCode.Kind.FIXED, amount=Decimal("20"))
        invoice = apply_discount_code(draft_invoice(site_a), "SPRING")
        invoice_services.update_draft(fresh(invoice), currency="USD")
        with pytest.raises(ValidationFailed, match="in EUR only"):
            invoice_services.issue_invoice(fresh(invoice))

    def test_a_used_up_code_is_refused_and_not_counted(self, site_a):
        code = make_code(site_a, max_redemptions=1)
        apply_discount_code(draft_invoice(site_a), "WELCOME10")
        invoice = draft_invoice(site_a)
        assert refused(invoice, "WELCOME10") == (
            "The discount code WELCOME10 has been used as many times as it may be (1)."
        )
        assert fresh(code).times_redeemed == 1 and code.redemptions.count() == 1

    def test_the_databases_check_is_the_last_guard(self, site_a):
        code = make_code(site_a, max_redemptions=1)
        apply_discount_code(draft_invoice(site_a), "WELCOME10")
        stale = DiscountCode.objects.get(pk=code.pk)
        stale.times_redeemed = 0  # as if the count had been read before the other use
        with pytest.raises(ValidationFailed, match="used as many times as it may be"):
            take_use(stale, draft_invoice(site_a))
        assert fresh(code).times_redeemed == 1 and code.redemptions.count() == 1

    def test_the_limit_per_client(self, site_a):
        make_code(site_a, max_per_client=1)
        client = ClientFactory(site=site_a, name="Ann")
        apply_discount_code(draft_invoice(site_a, client=client), "WELCOME10")
        assert refused(draft_invoice(site_a, client=client), "WELCOME10") == (
            "Ann has already used the discount code WELCOME10 as many times as a client may (1)."
        )
        apply_discount_code(draft_invoice(site_a), "WELCOME10")  # another client may

    def test_an_issued_invoice_is_never_retotalled(self, site_a):
        make_code(site_a)
        invoice, _ = open_invoice(site_a)
        with pytest.raises(InvalidTransition, match="issue a credit note against it"):
            apply_discount_code(invoice, "WELCOME10")
        with pytest.raises(InvalidTransition, match="issue a credit note against it"):
            remove_discount_code(invoice)
        assert fresh(invoice).total == Decimal("100.00")


class TestUsesGivenBack:
    def test_removing_gives_the_use_back(self, site_a):
        code = make_code(site_a, max_redemptions=1)
        invoice = apply_discount_code(draft_invoice(site_a), "WELCOME10")
        remove_discount_code(fresh(invoice))
        invoice = fresh(invoice)
        assert (invoice.discount_code, invoice.discount_label, invoice.discount_total, invoice.total) == (
            None,
            "",
            Decimal("0.00"),
            Decimal("100.00"),
        )
        assert fresh(code).times_redeemed == 0 and not code.redemptions.exists()
        assert invoice.events.filter(kind=InvoiceEvent.Kind.DISCOUNT_REMOVED).exists()
        apply_discount_code(draft_invoice(site_a), "WELCOME10")  # the one use is free again
        with pytest.raises(ValidationFailed, match="no discount code to remove"):
            remove_discount_code(invoice)

    def test_replacing_gives_the_old_codes_use_back(self, site_a):
        old = make_code(site_a, "OLD")
        new = make_code(site_a, "NEW", kind=DiscountCode.Kind.FIXED, amount=Decimal("5"))
        invoice = apply_discount_code(draft_invoice(site_a), "OLD")
        invoice = fresh(apply_discount_code(fresh(invoice), "NEW"))
        assert (fresh(old).times_redeemed, fresh(new).times_redeemed) == (0, 1)
        assert DiscountRedemption.objects.get(invoice=invoice).code == new
        assert (invoice.discount_percent, invoice.discount_total, invoice.total) == (
            None,
            Decimal("5.00"),
            Decimal("95.00"),
        )
        # The same code again changes nothing and counts nothing.
        apply_discount_code(invoice, "new")
        assert fresh(new).times_redeemed == 1

    def test_a_refused_replacement_keeps_the_old_code(self, site_a):
        old = make_code(site_a, "OLD")
        make_code(site_a, "FULL", max_redemptions=0)
        invoice = apply_discount_code(draft_invoice(site_a), "OLD")
        refused(fresh(invoice), "FULL")
        assert fresh(invoice).discount_code == old and fresh(old).times_redeemed == 1

    def test_deleting_the_draft_gives_the_use_back(self, site_a):
        code = make_code(site_a, max_redemptions=3)
        invoice = apply_discount_code(draft_invoice(site_a), "WELCOME10")
        invoice_services.delete_draft(fresh(invoice))
        assert not Invoice.objects.filter(pk=invoice.pk).exists()
        assert fresh(code).times_redeemed == 0 and not code.redemptions.exists()


# The admin ------------------------------------------------------------------------------------


def action_url(name, invoice):
    return reverse(f"wagtailsnippets_invoicing_invoice:{name}", args=[invoice.pk])


def code_url(name, *args):
    return reverse(f"wagtailsnippets_invoicing_discountcode:{name}", args=args)


def message_texts(response):
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


class TestAdmin:
    def test_apply_and_remove_from_the_admin(self, admin_client, site_a):
        code = make_code(site_a)
        invoice = draft_invoice(site_a)
        page = admin_client.get(action_url("apply_discount", invoice))
        assert page.status_code == 200 and 'name="code"' in page.content.decode()
        response = admin_client.post(action_url("apply_discount", invoice), {"code": "welcome10"})
        assert ("success", f"Discount WELCOME10 (10 %) applied to {fresh(invoice)}.") in message_texts(response)
        assert fresh(invoice).total == Decimal("90.00")
        response = admin_client.post(action_url("remove_discount", invoice))
        assert message_texts(response)[-1][0] == "success"
        assert fresh(invoice).total == Decimal("100.00") and fresh(code).times_redeemed == 0

    def test_another_websites_code_is_an_error_message(self, admin_client, site_a, site_b):
        make_code(site_b)
        invoice = draft_invoice(site_a)
        response = admin_client.post(action_url("apply_discount", invoice), {"code": "WELCOME10"})
        assert message_texts(response) == [("error", "“WELCOME10” is not a discount code of this website.")]
        assert fresh(invoice).discount_code is None

    def test_the_buttons_are_offered_on_drafts_only(self, admin_client, site_a):
        make_code(site_a)
        draft = draft_invoice(site_a)
        page = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:inspect", args=[draft.pk])).content.decode()
        assert action_url("apply_discount", draft) in page and action_url("remove_discount", draft) not in page
        apply_discount_code(draft, "WELCOME10")
        page = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:inspect", args=[draft.pk])).content.decode()
        assert action_url("remove_discount", draft) in page
        issued, _ = open_invoice(site_a)
        page = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:inspect", args=[issued.pk])).content.decode()
        assert action_url("apply_discount", issued) not in page

    def test_the_listing_shows_uses_and_is_scoped(self, client, acme_clerk, site_a, site_b):
        code = make_code(site_a, max_redemptions=5)
        apply_discount_code(draft_invoice(site_a), "WELCOME10")
        theirs = make_code(site_b, "GLOBEX")
        client.force_login(acme_clerk)
        listing = client.get(code_url("list")).content.decode()
        assert "WELCOME10" in listing and "1 / 5" in listing and "10 %" in listing and "GLOBEX" not in listing
        assert client.get(code_url("edit", theirs.pk)).status_code == 404
        assert client.get(code_url("inspect", theirs.pk)).status_code == 404
        assert client.get(code_url("edit", code.pk)).status_code == 200
        found = client.get(code_url("list"), {"q": "welc"}).content.decode()
        assert "WELCOME10" in found
        inactive = client.get(code_url("list"), {"active": "false"}).content.decode()
        assert "WELCOME10" not in inactive

    def test_another_websites_code_cannot_be_applied_by_its_staff(self, client, acme_clerk, site_a, site_b):
        make_code(site_b)
        client.force_login(acme_clerk)
        theirs = draft_invoice(site_b)
        assert client.post(action_url("apply_discount", theirs), {"code": "WELCOME10"}).status_code == 404
        assert fresh(theirs).discount_code is None

    def test_creating_a_code_checks_its_value(self, admin_client, site_a):
        form = {
            "site": site_a.pk,
            "code": "SPRING",
            "kind": "fixed",
            "amount": "20.00",
            "currency": "",
            "minimum_amount": "0",
            "active": "on",
        }
        response = admin_client.post(code_url("add"), form)
        assert response.status_code == 200 and "A fixed amount needs its currency." in response.content.decode()
        response = admin_client.post(code_url("add"), {**form, "code": "spring 2", "currency": "EUR"})
        assert "Use letters, digits and dashes only." in response.content.decode()
        response = admin_client.post(code_url("add"), {**form, "currency": "EUR"})
        assert response.status_code == 302
        assert DiscountCode.objects.get(site=site_a).amount == Decimal("20.00")
        # The same code in another case is the same code.
        response = admin_client.post(code_url("add"), {**form, "code": "spring", "currency": "EUR"})
        assert response.status_code == 200 and DiscountCode.objects.filter(site=site_a).count() == 1

    def test_a_used_codes_value_no_longer_changes(self, admin_client, site_a):
        code = make_code(site_a)
        apply_discount_code(draft_invoice(site_a), "WELCOME10")
        form = {
            "site": site_a.pk,
            "code": "WELCOME10",
            "kind": "percent",
            "percent": "50",
            "minimum_amount": "0",
            "max_redemptions": "",
        }
        response = admin_client.post(code_url("edit", code.pk), form)
        assert response.status_code == 302
        code = fresh(code)
        assert (code.percent, code.active) == (Decimal("10.00"), False)


def test_the_email_shows_the_discount_line_with_the_code(site_a, django_capture_on_commit_callbacks, anymail_outbox):
    from invoicing.core.money import format_money
    from invoicing.models import BillingSettings
    from invoicing.services.outbox import issue_and_send_invoice

    make_code(site_a)
    invoice = apply_discount_code(draft_invoice(site_a), "WELCOME10")
    with django_capture_on_commit_callbacks(execute=True):
        issue_and_send_invoice(fresh(invoice))
    [message] = anymail_outbox
    ((html, _),) = message.alternatives
    amount = format_money(Decimal("-10.00"), "EUR", BillingSettings.for_site(site_a).locale)
    assert f"Discount WELCOME10 (10 %): {amount}" in message.body
    assert "Discount WELCOME10 (10 %)" in html and amount in html


def test_the_pdf_and_the_pay_page_show_the_discount_line(site_a, client):
    from invoicing.services.documents import invoice_pdf
    from tests.pdf_helpers import flat, pdf_text

    make_code(site_a)
    invoice = apply_discount_code(draft_invoice(site_a), "WELCOME10")
    link = invoice_services.issue_invoice(fresh(invoice))
    assert "Discount WELCOME10 (10 %)" in flat(pdf_text(invoice_pdf(fresh(invoice))))
    page = client.get(link.url.removeprefix("http://acme.test"), HTTP_HOST="acme.test").content.decode()
    assert "Discount WELCOME10 (10 %)" in page
