import hashlib
import hmac
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from wagtail.models import Site

from invoicing.core.exceptions import InvalidTransition, PaymentLinkInvalid, PaymentLinkUnusable
from invoicing.models import BillingSettings, Invoice, PaymentLink, PaymentMethod
from invoicing.services import invoices as invoice_services
from invoicing.services import tokens
from invoicing.services.payments import apply_payment, record_manual_payment
from invoicing.services.tokens import pay_link_url, resolve_payment_link, revoke_payment_link, rotate_payment_link
from tests.factories import draft_invoice, make_website, open_invoice


def test_token_has_256_random_bits_and_only_its_hash_is_stored(site_a):
    invoice, link = open_invoice(site_a)
    match = re.fullmatch(rf"INV-{invoice.number}-([A-Za-z0-9_\-]{{43}})", link.token)
    assert match, link.token
    assert len(match.group(1)) * 6 >= 256
    assert invoice.payment_token == hashlib.sha256(link.token.encode()).hexdigest()
    # The raw token is nowhere in the database.
    stored = [str(v) for row in PaymentLink.objects.values() for v in row.values()]
    stored += [str(v) for row in Invoice.objects.values() for v in row.values()]
    assert not any(match.group(1) in value for value in stored)


def test_two_links_never_share_a_token(site_a):
    tokens = {open_invoice(site_a)[1].token for _ in range(5)}
    assert len(tokens) == 5


def test_the_link_comes_from_the_sites_hostname_and_port(db):
    site = make_website("billing.acme.test", port=8000)
    _, link = open_invoice(site)
    assert link.url == f"http://billing.acme.test:8000/pay/invoice/{link.token}/"
    https_site = make_website("secure.test", port=443)
    assert open_invoice(https_site)[1].url.startswith("https://secure.test/pay/invoice/INV-")


def test_resolve_opens_the_invoice(site_a):
    invoice, link = open_invoice(site_a)
    assert resolve_payment_link(link.token, site=site_a) == invoice


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character changed
        lambda t: t[:-1],  # truncated
        lambda t: "INV-ACME-1-" + "x" * 43,  # well-formed, unknown
        lambda t: "../../admin",
        lambda t: "",
        lambda t: t + "' OR 1=1 --",
    ],
)
def test_wrong_and_tampered_tokens_are_invalid(site_a, mangle):
    _, link = open_invoice(site_a)
    with pytest.raises(PaymentLinkInvalid):
        resolve_payment_link(mangle(link.token), site=site_a)


def test_another_sites_token_is_invalid_exactly_like_a_wrong_one(site_a, site_b):
    _, link = open_invoice(site_a)
    with pytest.raises(PaymentLinkInvalid) as other_site:
        resolve_payment_link(link.token, site=site_b)
    with pytest.raises(PaymentLinkInvalid) as garbage:
        resolve_payment_link("INV-X-" + "y" * 43, site=site_b)
    assert other_site.value.message == garbage.value.message


def test_expiry_defaults_to_due_date_plus_the_sites_lifetime(site_a):
    billing = BillingSettings.for_site(site_a)
    billing.link_lifetime_days = 10
    billing.save()
    due = timezone.localdate() + timedelta(days=5)
    invoice, link = open_invoice(site_a, due_date=due)
    assert timezone.localtime(link.expires_at).date() == due + timedelta(days=11)


def test_an_expired_link_is_unusable(site_a):
    invoice, link = open_invoice(site_a)
    PaymentLink.objects.filter(pk=invoice.payment_link_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PaymentLinkUnusable, match="expired"):
        resolve_payment_link(link.token, site=site_a)


def test_rotation_replaces_the_link(site_a):
    invoice, old = open_invoice(site_a)
    new = rotate_payment_link(invoice)
    assert new.token != old.token
    with pytest.raises(PaymentLinkUnusable, match="replaced"):
        resolve_payment_link(old.token, site=site_a)
    assert resolve_payment_link(new.token, site=site_a) == invoice
    assert invoice.payment_links.count() == 2
    assert invoice.events.filter(kind="link_rotated").exists()


def test_revocation_ends_the_link_without_a_new_one(site_a):
    invoice, link = open_invoice(site_a)
    revoke_payment_link(invoice)
    invoice.refresh_from_db()
    assert invoice.payment_token is None and invoice.token_expires_at is None
    with pytest.raises(PaymentLinkUnusable):
        resolve_payment_link(link.token, site=site_a)
    assert invoice.events.filter(kind="link_revoked").exists()


def test_voiding_ends_the_link(site_a):
    invoice, link = open_invoice(site_a)
    invoice_services.void_invoice(invoice, reason="Duplicate")
    with pytest.raises(PaymentLinkUnusable):
        resolve_payment_link(link.token, site=site_a)


def test_a_changed_amount_or_currency_makes_the_link_unusable(site_a):
    invoice, link = open_invoice(site_a)
    # Nothing in the services changes an issued total; this simulates a change that bypassed them.
    Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("1.00"))
    with pytest.raises(PaymentLinkUnusable, match="no longer matches"):
        resolve_payment_link(link.token, site=site_a)
    Invoice.objects.filter(pk=invoice.pk).update(total=invoice.total, currency="USD")
    with pytest.raises(PaymentLinkUnusable, match="no longer matches"):
        resolve_payment_link(link.token, site=site_a)


def test_a_partial_payment_rotates_the_link_to_the_new_balance(site_a):
    invoice, old = open_invoice(site_a)
    result = record_manual_payment(invoice, amount=Decimal("40.00"), reason="Part", by=None)
    assert result.new_link is not None
    with pytest.raises(PaymentLinkUnusable):
        resolve_payment_link(old.token, site=site_a)
    assert resolve_payment_link(result.new_link.token, site=site_a) == invoice
    assert PaymentLink.objects.get(pk=invoice.payment_link_id).amount_due_minor == 6000


def test_the_link_of_a_paid_invoice_still_opens_it_for_the_receipt(site_a):
    invoice, link = open_invoice(site_a)
    apply_payment(invoice, method=PaymentMethod.MANUAL, amount=invoice.total, currency="EUR", provider_reference="t1")
    assert resolve_payment_link(link.token, site=site_a).status == "paid"


def test_drafts_and_void_invoices_cannot_get_a_link(site_a):
    with pytest.raises(InvalidTransition):
        rotate_payment_link(draft_invoice(site_a))
    invoice, _ = open_invoice(site_a)
    invoice_services.void_invoice(invoice, reason="Duplicate")
    with pytest.raises(InvalidTransition):
        rotate_payment_link(invoice)


def test_the_link_uses_the_given_sites_host_when_sites_share_a_page_tree(site_a):
    alias = Site.objects.create(hostname="pay.acme.test", port=8443, root_page=site_a.root_page)
    assert pay_link_url(alias, "INV-X-token") == "http://pay.acme.test:8443/pay/invoice/INV-X-token/"
    assert pay_link_url(site_a, "INV-X-token") == "http://acme.test/pay/invoice/INV-X-token/"


def test_the_token_is_drawn_from_the_os_csprng_with_256_bits(site_a, monkeypatch):
    # Rule 1: a token from random, uuid or a counter could pass the shape test above.
    calls = []

    def spy(nbytes=None):
        calls.append(nbytes)
        return "S" * 43

    monkeypatch.setattr(tokens.secrets, "token_urlsafe", spy)
    invoice, link = open_invoice(site_a)
    assert calls == [32]
    assert link.token == f"INV-{invoice.number}-{'S' * 43}"


def test_the_stored_hash_is_compared_in_constant_time(site_a, monkeypatch):
    invoice, link = open_invoice(site_a)
    compared = []
    real_compare_digest = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real_compare_digest(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert resolve_payment_link(link.token, site=site_a) == invoice
    assert compared == [(invoice.payment_token, hashlib.sha256(link.token.encode()).hexdigest())]
    # The comparison decides: with a compare that says "different", the right token opens nothing.
    monkeypatch.setattr(tokens.hmac, "compare_digest", lambda a, b: False)
    with pytest.raises(PaymentLinkInvalid):
        resolve_payment_link(link.token, site=site_a)
