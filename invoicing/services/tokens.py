"""Payment links: random tokens, stored as SHA-256, bound to the balance and currency they were
issued for, expiring, rotatable and revocable. The URL comes from the Site, never a request."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.exceptions import InvalidTransition, PaymentLinkInvalid, PaymentLinkUnusable
from ..core.lifecycle import COLLECTIBLE_STATES, InvoiceStatus
from ..core.redaction import TOKEN_PATTERN
from ..models import BillingSettings, Instalment, InvoiceEvent, PaymentLink, PayPage, SavedCard
from .amounts_due import early_price_minor
from .events import record_event
from .locking import lock_invoice

TOKEN_BYTES = 32  # 256 bits from the OS CSPRNG
LINKABLE_STATES = COLLECTIBLE_STATES | {InvoiceStatus.PAID}


@dataclass(frozen=True)
class IssuedLink:
    """The one moment the raw token exists: hand it to the client, then forget it."""

    token: str
    url: str
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_current_token(invoice, token: str) -> bool:
    """Whether ``token`` is the invoice's current link, and not one that a payment replaced."""
    current = invoice.payment_token
    return current is not None and hmac.compare_digest(current, hash_token(token))


def pay_page_for_site(site):
    return PayPage.objects.live().descendant_of(site.root_page, inclusive=True).first()


def pay_link_url(site, token: str) -> str:
    """``{site root url}/pay/invoice/{token}/``, from the Site's own hostname and port."""
    pay_page = pay_page_for_site(site)
    if pay_page is None:
        raise InvalidTransition(
            _(
                "The website %(site)s has no published pay page, so no invoice can be issued there. Run "
                "“manage.py invoicing_setup_site %(hostname)s”, or add a Pay page under its home page."
            )
            % {"site": site, "hostname": site.hostname}
        )
    # The page's path below this site's root, so that a page tree shared by several Sites still
    # gives this Site's URL.
    return pay_page.full_route_url(site, "invoice", token)


def link_expiry(invoice):
    """The link's lifetime after the last due date: the invoice's, or its payment plan's last
    instalment's, so that a plan running past the due date keeps a working link to its end."""
    lifetime = BillingSettings.for_site(invoice.site).link_lifetime
    last_instalment = invoice.instalments.order_by("-due_date").values_list("due_date", flat=True).first()
    today = timezone.localdate()
    last_day = max(invoice.due_date or today, last_instalment or today, today) + lifetime
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())


def extend_link_to_plan(invoice):
    """A payment plan set on an open invoice: its current link lives until the plan's end."""
    if invoice.payment_link_id:
        expires_at = link_expiry(invoice)
        PaymentLink.objects.filter(pk=invoice.payment_link_id, expires_at__lt=expires_at).update(expires_at=expires_at)


def _end_current_link(invoice, reason):
    if invoice.payment_link_id is None:
        return None
    ended = PaymentLink.objects.filter(pk=invoice.payment_link_id, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )
    invoice.payment_link = None
    invoice.save(update_fields=["payment_link", "updated_at"])
    return ended


def open_new_link(invoice, *, by=None, reason=PaymentLink.EndReason.ROTATED) -> IssuedLink:
    """Replace the invoice's link. The caller holds the invoice's row lock."""
    if invoice.status not in LINKABLE_STATES:
        raise InvalidTransition(
            _("Invoice %(number)s is %(status)s and cannot have a payment link.")
            % {"number": invoice.number or _("(draft)"), "status": invoice.get_status_display().lower()}
        )
    rotated = _end_current_link(invoice, reason)
    token = f"INV-{invoice.number}-{secrets.token_urlsafe(TOKEN_BYTES)}"
    version = invoice.payment_links.count() + 1
    link = PaymentLink.objects.create(
        invoice=invoice,
        token_hash=hash_token(token),
        version=version,
        amount_due_minor=invoice.amount_due_minor,
        early_amount_minor=early_price_minor(invoice),
        currency=invoice.currency,
        expires_at=link_expiry(invoice),
        created_by=by,
    )
    invoice.payment_link = link
    invoice.save(update_fields=["payment_link", "updated_at"])
    kind = InvoiceEvent.Kind.LINK_ROTATED if rotated else InvoiceEvent.Kind.LINK_ISSUED
    record_event(invoice, kind, by=by, version=version, expires_at=link.expires_at)
    return IssuedLink(token=token, url=pay_link_url(invoice.site, token), expires_at=link.expires_at)


def rotate_payment_link(invoice, *, by=None) -> IssuedLink:
    with transaction.atomic():
        lock_invoice(invoice)
        return open_new_link(invoice, by=by)


def revoke_payment_link(invoice, *, by=None, reason=PaymentLink.EndReason.REVOKED):
    with transaction.atomic():
        lock_invoice(invoice)
        end_payment_link(invoice, by=by, reason=reason)


def end_payment_link(invoice, *, by=None, reason):
    """End the current link without a replacement. The caller holds the invoice's row lock."""
    if _end_current_link(invoice, reason):
        record_event(invoice, InvoiceEvent.Kind.LINK_REVOKED, by=by, reason=reason)


def resolve_payment_link(token: str, *, site):
    """The invoice that ``token`` opens on ``site``.

    Raises ``PaymentLinkInvalid`` (answer 404) for a malformed or unknown token, or another
    site's token, all alike; ``PaymentLinkUnusable`` (answer with the recovery page) for a link
    that is expired, revoked, replaced, or no longer bound to the invoice's balance and currency.
    """
    return _resolve(token, site=site, still_opens_receipt=False)


def resolve_receipt_link(token: str, *, site):
    """Like ``resolve_payment_link``, but also accepts a link replaced because of a payment on the
    invoice: the browser coming back from paying part of the balance can still see its receipt."""
    return _resolve(token, site=site, still_opens_receipt=True)


def _early_price_changed(link, invoice):
    """The early-payment price the link was issued with is the one the page would charge; once the
    discount has ended, the link goes on for the full balance."""
    current = early_price_minor(invoice)
    return current is not None and current != link.early_amount_minor


def _resolve(token, *, site, still_opens_receipt):
    if not TOKEN_PATTERN.fullmatch(token or ""):
        raise PaymentLinkInvalid(_("This payment link is not valid."))
    token_hash = hash_token(token)
    # One query, as lean as the pay page needs (each joined table costs a millisecond to compile):
    # [:1], not first(), whose ORDER BY is no use on a unique hash; the site and the current link
    # are the objects at hand; whether the client saved a card, which the page shows, comes along.
    found = (
        PaymentLink.objects.select_related("invoice__client")
        .annotate(
            has_saved_card=Exists(SavedCard.objects.active().filter(client=OuterRef("invoice__client"))),
            has_plan=Exists(Instalment.objects.filter(invoice=OuterRef("invoice"))),
        )
        .filter(token_hash=token_hash)[:1]
    )
    link = found[0] if found else None
    if link is None or not hmac.compare_digest(link.token_hash, token_hash) or link.invoice.site_id != site.pk:
        raise PaymentLinkInvalid(_("This payment link is not valid."))
    invoice = link.invoice
    invoice.site = site
    invoice.client.has_saved_card = link.has_saved_card
    if not link.has_plan:
        # No payment plan: the page's schedule costs no query. Whatever runs under the invoice's lock
        # re-reads it (``refresh_from_db`` drops this cache).
        invoice._prefetched_objects_cache = {"instalments": Instalment.objects.none()}
    if invoice.payment_link_id == link.pk:
        invoice.payment_link = link
    if still_opens_receipt and link.end_reason == PaymentLink.EndReason.PAID_IN_PART and not link.is_expired:
        return invoice
    if link.ended_at is not None or invoice.payment_link_id != link.pk:
        raise PaymentLinkUnusable(_("This payment link has been replaced or revoked."), link)
    if link.is_expired:
        raise PaymentLinkUnusable(_("This payment link has expired."), link)
    if invoice.status in COLLECTIBLE_STATES and (
        link.currency != invoice.currency
        or link.amount_due_minor != invoice.amount_due_minor
        or _early_price_changed(link, invoice)
    ):
        raise PaymentLinkUnusable(_("This payment link no longer matches the invoice."), link)
    return invoice
