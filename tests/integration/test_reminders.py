"""Who gets reminders and what they say: never a paid, void, written-off, draft, undated, paused,
auto-charge-pending or card-processing invoice; each step in its website's own wording, with a
pay link that opens the pay page; the command for cron."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from invoicing.models import (
    AutoCharge,
    CardPayment,
    Invoice,
    InvoiceEmailTemplatePage,
    OutboundEmail,
    SavedCard,
)
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import record_manual_payment
from invoicing.services.reminders import pause_reminders
from tests.factories import draft_invoice, open_invoice

from .reminder_helpers import START, at, run_on, scheduled_emails, set_steps

pytestmark = pytest.mark.django_db

DUE = START + timedelta(days=10)
DAY_AFTER = DUE + timedelta(days=1)


def overdue(site, **fields):
    with at(START):
        return open_invoice(site, due_date=DUE, **fields)[0]


def test_invoices_that_must_never_be_reminded_are_not(site_a, admin_user):
    reminded = overdue(site_a, title="Reminded")
    paid = overdue(site_a)
    record_manual_payment(paid, reason="Cash", by=admin_user)
    void = overdue(site_a)
    invoice_services.void_invoice(void, reason="Cancelled")
    written_off = overdue(site_a)
    invoice_services.mark_uncollectible(written_off)
    with at(START):
        draft_invoice(site_a, due_date=DUE)
    undated = overdue(site_a)
    Invoice.objects.filter(pk=undated.pk).update(due_date=None)  # from before due dates were required
    paused = overdue(site_a)
    pause_reminders(paused, by=admin_user)
    charging = overdue(site_a)
    card = SavedCard.objects.create(client=charging.client, customer_reference="cus_1", payment_method_reference="pm_1")
    AutoCharge.objects.create(invoice=charging, saved_card=card, status=AutoCharge.Status.SCHEDULED)
    processing = overdue(site_a)
    CardPayment.objects.create(
        invoice=processing,
        intent_id="pi_processing",
        amount=Decimal("100.00"),
        currency="EUR",
        link_version=1,
        idempotency_key="processing",
        status=CardPayment.Status.PROCESSING,
    )
    for day in (DAY_AFTER, DUE + timedelta(days=30)):
        run_on(day)
    assert set(scheduled_emails().values_list("invoice__title", flat=True)) == {"Reminded"}
    assert scheduled_emails(reminded).count() == 2  # the day after; 29 days later, the latest step only


def test_an_automatic_charge_that_ended_no_longer_holds_reminders_back(site_a):
    invoice = overdue(site_a)
    card = SavedCard.objects.create(client=invoice.client, customer_reference="cus_1", payment_method_reference="pm_1")
    AutoCharge.objects.create(invoice=invoice, saved_card=card, status=AutoCharge.Status.FAILED)
    assert run_on(DAY_AFTER).sent == 1


def test_a_site_with_every_step_off_sends_none_and_other_sites_go_on(site_a, site_b):
    set_steps(site_a, every=7)  # no step on: nothing to repeat after either
    quiet, other = overdue(site_a), overdue(site_b)
    for offset in range(40):
        run_on(DUE + timedelta(days=offset))
    assert not scheduled_emails(quiet).exists() and scheduled_emails(other).count() == 6


def publish(site, **wording):
    page = InvoiceEmailTemplatePage.objects.descendant_of(site.root_page).get()
    for field, value in wording.items():
        setattr(page, field, value)
    page.save_revision().publish()
    return page


def pay_path(text):
    return re.search(r"https?://[^/\s]+(/pay/invoice/[^\s\"<]+/)", text).group(1)


def test_each_step_uses_its_websites_wording_or_the_fallback_and_carries_a_working_pay_link(
    client, site_a, site_b, anymail_outbox, django_capture_on_commit_callbacks
):
    for site in (site_a, site_b):
        set_steps(site, "on_due", "after_7", every=0)
    publish(
        site_a,
        reminder_on_due_subject="Acme: {invoice_number} is due today",
        reminder_on_due_body="<p>Dear {client_name}, today is the day: {amount_due}.</p>",
        reminder_subject="Acme reminder for {invoice_number}",
        brand_color="#aa0000",
    )
    publish(
        site_b,
        reminder_after_7_subject="Globex: a week late, {invoice_number}",
        reminder_subject="Globex reminder for {invoice_number}",
        reminder_body="<p>Globex says: {amount_due} is open.</p>",
        brand_color="#00aa00",
    )
    acme, globex = overdue(site_a), overdue(site_b)
    for offset in (0, 7):
        with django_capture_on_commit_callbacks(execute=True):
            run_on(DUE + timedelta(days=offset))
    sent = {(message.to[0], message.subject): message for message in anymail_outbox}
    acme_email, globex_email = acme.client.email, globex.client.email
    assert sorted(subject for _, subject in sent) == sorted(
        [
            f"Acme: {acme.number} is due today",  # its own subject
            f"Acme reminder for {acme.number}",  # after_7 has none: the reminder's
            f"Globex reminder for {globex.number}",
            f"Globex: a week late, {globex.number}",
        ]
    )
    on_due = sent[(acme_email, f"Acme: {acme.number} is due today")]
    assert "today is the day: €100.00" in on_due.body and "#aa0000" in on_due.alternatives[0][0]
    # Its own subject, and the body falls back to the website's reminder body.
    week_late = sent[(globex_email, f"Globex: a week late, {globex.number}")]
    assert "Globex says: $100.00 is open." in week_late.body and "#00aa00" in week_late.alternatives[0][0]
    for message in anymail_outbox:
        site = site_a if message.to[0] == acme_email else site_b
        page = client.get(pay_path(message.body), HTTP_HOST=site.hostname)
        if message is sent[(acme_email, f"Acme reminder for {acme.number}")] or message is week_late:
            assert page.status_code == 200  # the latest link of each invoice opens the pay page
            assert (acme if site == site_a else globex).number in page.content.decode()


def test_the_page_refuses_an_unknown_placeholder_in_a_step(site_a):
    page = InvoiceEmailTemplatePage.objects.descendant_of(site_a.root_page).get()
    page.reminder_after_7_subject = "Late: {invoice_numbr}"
    page.reminder_on_due_body = "<p>&#123;client_nme&#125;</p>"
    with pytest.raises(ValidationError) as refused:
        page.full_clean()
    assert set(refused.value.message_dict) == {"reminder_after_7_subject", "reminder_on_due_body"}
    assert "{invoice_numbr}" in refused.value.message_dict["reminder_after_7_subject"][0]


def test_a_failed_reminder_email_does_not_resend_its_step(site_a):
    invoice = overdue(site_a)
    run_on(DAY_AFTER)
    scheduled_emails(invoice).update(status=OutboundEmail.Status.FAILED)
    assert run_on(DAY_AFTER).sent == 0  # the step happened; a person resends a failed email


def test_the_command_for_cron_says_what_it_did(site_a, capsys):
    overdue(site_a)
    with at(DUE + timedelta(days=9)):
        call_command("send_reminders")
    assert capsys.readouterr().out.startswith("1 reminder(s) queued, 1 earlier step(s) skipped")


def test_a_run_costs_the_same_queries_however_many_invoices_have_nothing_due(
    site_a, site_b, django_assert_max_num_queries
):
    def reminded_yesterday(count):
        for site in (site_a, site_b):
            for _ in range(count):
                overdue(site)
        run_on(DAY_AFTER)  # each gets its "day after" step; the next is a week later

    reminded_yesterday(2)
    with django_assert_max_num_queries(10) as few:
        assert run_on(DAY_AFTER + timedelta(days=1)).sent == 0
    reminded_yesterday(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert run_on(DAY_AFTER + timedelta(days=1)).sent == 0
