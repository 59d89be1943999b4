"""The Stripe webhook inbox in the admin: read-only, scoped by website, with a replay that applies
a stored event again through the webhook's own service. The events here are stored directly (as
the webhook would store them); replaying a ``payment_intent.succeeded`` reads the intent from the
signed event, so no Stripe server is needed."""

from decimal import Decimal

from django.contrib.messages import get_messages
from django.urls import reverse

from invoicing.models import CardPayment, Invoice, Payment, StripeEvent
from tests.factories import ACCESS_ADMIN, billing_staff, open_invoice

EVENT_PERMS = (ACCESS_ADMIN, "view_invoice", "view_stripeevent")


def url(name, *args):
    return reverse(f"wagtailsnippets_invoicing_stripeevent:{name}", args=args)


def messages_of(response):
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def intent_event(invoice, *, event_id="evt_1", status=StripeEvent.Status.FAILED, **intent):
    """A stored ``payment_intent.succeeded`` for a card payment of ``invoice``'s balance."""
    card_payment = CardPayment.objects.create(
        invoice=invoice,
        intent_id=f"pi_{event_id}",
        amount=invoice.amount_due,
        currency=invoice.currency,
        link_version=1,
        idempotency_key=f"key-{event_id}",
        status=CardPayment.Status.PROCESSING,
    )
    minor = int(invoice.amount_due_minor)
    data = {
        "id": card_payment.intent_id,
        "status": "succeeded",
        "amount": minor,
        "amount_received": minor,
        "currency": invoice.currency.lower(),
        "livemode": False,
        "metadata": {"invoice_id": str(invoice.pk), "site_id": str(invoice.site_id)},
        **intent,
    }
    return StripeEvent.objects.create(
        event_id=event_id,
        type="payment_intent.succeeded",
        payload={"id": event_id, "type": "payment_intent.succeeded", "data": {"object": data}},
        status=status,
        error="ConnectionError: database went away" if status == StripeEvent.Status.FAILED else "",
        site=invoice.site,
        invoice=invoice,
    )


class TestListing:
    def test_shows_events_with_their_outcome(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        event = intent_event(invoice)
        body = admin_client.get(url("list")).content.decode()
        for text in ("payment_intent.succeeded", event.event_id, "Failed", "database went away", invoice.number):
            assert text in body
        assert replay_url_in(body, event)

    def test_filters_by_status_and_type(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        intent_event(invoice, event_id="evt_failed")
        StripeEvent.objects.create(event_id="evt_other", type="customer.created", payload={}, status="ignored")
        body = admin_client.get(url("list"), {"status": "failed"}).content.decode()
        assert "evt_failed" in body and "evt_other" not in body
        body = admin_client.get(url("list"), {"type": "customer.created"}).content.decode()
        assert "evt_other" in body and "evt_failed" not in body

    def test_nothing_can_be_added_or_edited(self, admin_client, site_a):
        event = StripeEvent.objects.create(event_id="evt_x", type="customer.created", payload={})
        assert admin_client.get(url("add")).status_code in (302, 403)
        assert admin_client.post(url("edit", event.pk), {"type": "forged"}).status_code in (302, 403)
        assert StripeEvent.objects.get(pk=event.pk).type == "customer.created"


def replay_url_in(body, event):
    return url("replay", event.pk) in body


class TestScoping:
    def test_staff_see_their_websites_events_only(self, client, site_a, site_b):
        ours = intent_event(open_invoice(site_a)[0], event_id="evt_ours")
        theirs = intent_event(open_invoice(site_b)[0], event_id="evt_theirs")
        unattached = StripeEvent.objects.create(event_id="evt_nobody", type="customer.created", payload={})
        client.force_login(billing_staff(site_a, permissions=(*EVENT_PERMS, "replay_stripeevent")))
        body = client.get(url("list")).content.decode()
        assert "evt_ours" in body and "evt_theirs" not in body and "evt_nobody" not in body
        for event in (theirs, unattached):
            assert client.get(url("inspect", event.pk)).status_code == 404
            assert client.post(url("replay", event.pk)).status_code == 404
        assert StripeEvent.objects.get(pk=theirs.pk).status == "failed"
        assert client.get(url("inspect", ours.pk)).status_code == 200

    def test_superusers_see_unattached_events(self, admin_client, db):
        StripeEvent.objects.create(event_id="evt_nobody", type="customer.created", payload={})
        assert "evt_nobody" in admin_client.get(url("list")).content.decode()


class TestReplay:
    def test_a_failed_event_is_applied_on_replay(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        event = intent_event(invoice)
        page = admin_client.get(url("replay", event.pk))
        assert page.status_code == 200 and "Replay the event" in page.content.decode()
        response = admin_client.post(url("replay", event.pk))
        assert response["Location"] == url("inspect", event.pk)
        event.refresh_from_db()
        assert (event.status, event.error) == ("processed", "")
        assert ("success", "Event evt_1 replayed: processed.") in messages_of(response)
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert invoice.status == "paid"
        payment = Payment.objects.get(invoice=invoice)
        assert (payment.method, payment.amount) == ("stripe", Decimal("100.00"))

    def test_replaying_again_counts_nothing_twice(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        event = intent_event(invoice)
        admin_client.post(url("replay", event.pk))
        admin_client.post(url("replay", event.pk))
        assert Payment.objects.filter(invoice=invoice).count() == 1
        assert StripeEvent.objects.get(pk=event.pk).attempts == 2

    def test_a_failing_replay_shows_the_error(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        event = intent_event(invoice)
        StripeEvent.objects.filter(pk=event.pk).update(payload={"id": "evt_1", "type": "payment_intent.succeeded"})
        response = admin_client.post(url("replay", event.pk))
        assert response.status_code == 302
        [(level, text)] = messages_of(response)
        assert level == "error" and text.startswith("The event could not be applied: KeyError")
        assert StripeEvent.objects.get(pk=event.pk).status == "failed"
        assert Invoice.objects.get(pk=invoice.pk).status == "open"

    def test_needs_the_permission_to_replay(self, client, site_a):
        invoice, _ = open_invoice(site_a)
        event = intent_event(invoice)
        # Changing invoices is not enough: replaying takes a permission of its own.
        client.force_login(billing_staff(site_a, permissions=(*EVENT_PERMS, "change_invoice")))
        assert not replay_url_in(client.get(url("list")).content.decode(), event)
        response = client.post(url("replay", event.pk))  # Wagtail turns the refusal into a redirect home
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
        assert StripeEvent.objects.get(pk=event.pk).status == "failed"
