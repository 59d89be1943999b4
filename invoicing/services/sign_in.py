"""Signing a client in to their billing account without a password: a one-time link, emailed to
the address on file for that website.

The account page's form only hands the address to a task (``email_sign_in_links``), which looks
the client up and sends the link: the form's answer, its work and its time are the same whether
or not such a client exists. The raw token exists only in the email; its SHA-256 is stored, and
it signs in once, on its own website, before it expires.
"""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from ..core.exceptions import InvalidTransition, SignInLinkInvalid, SignInLinkUnusable
from ..core.redaction import SIGN_IN_TOKEN_PATTERN
from ..mail.sign_in import compose_sign_in_email
from ..models import BillingSettings, Client, InvoiceEmailTemplatePage, SignInLink
from .outbox import sender_address
from .sites import account_page

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32  # 256 bits from the OS CSPRNG
# A client who asks again within this time gets no second email: the form cannot flood an inbox.
RESEND_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class IssuedSignInLink:
    """The one moment the raw token exists: email it, then forget it."""

    token: str
    url: str
    expires_at: datetime


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def ensure_accounts_open(site):
    page = account_page(site)
    if page is None:
        raise InvalidTransition(
            _(
                "%(site)s has no client account page: turn it on under Settings → Billing, and publish a "
                "Billing account page under the site's home page (manage.py invoicing_setup_site does it)."
            )
            % {"site": site.site_name or site.hostname}
        )
    return page


def issue_sign_in_link(client, *, by=None) -> IssuedSignInLink:
    site = client.site
    page = ensure_accounts_open(site)
    token = f"SIGNIN-{secrets.token_urlsafe(TOKEN_BYTES)}"
    link = SignInLink.objects.create(
        client=client,
        site=site,
        token_hash=_hash(token),
        expires_at=timezone.now() + BillingSettings.for_site(site).sign_in_link_lifetime,
        sent_by=by,
    )
    return IssuedSignInLink(
        token=token, url=page.full_route_url(site, "sign_in_link", token), expires_at=link.expires_at
    )


def request_sign_in_link(site, email):
    """The account page's form: queue the lookup and the email, after commit, whatever ``email`` is."""
    address = (email or "").strip()
    transaction.on_commit(lambda: email_sign_in_links.enqueue(site.pk, address), robust=True)


def send_sign_in_link(client, *, by):
    """An admin sends ``client`` a sign-in link (the client's page, or a bulk action)."""
    ensure_accounts_open(client.site)
    transaction.on_commit(
        lambda: email_sign_in_links.enqueue(client.site_id, client.email, client.pk, by.pk), robust=True
    )


@task()
def email_sign_in_links(site_id, email, client_id=None, sent_by_id=None):
    """Email a sign-in link to each client of the website with ``email`` on file (or to the one
    ``client_id`` an admin chose). Returns how many went out."""
    clients = Client.objects.filter(site_id=site_id).select_related("site")
    clients = clients.filter(pk=client_id) if client_id else clients.filter(email__iexact=email)
    sent = 0
    for client in clients:
        # Asked for on the page: at most one email per client per interval. An admin's always goes.
        if sent_by_id is None and not cache.add(f"invoicing:sign-in:{client.pk}", True, RESEND_INTERVAL_SECONDS):
            logger.info("Sign-in link for client %s not sent: one was sent less than a minute ago", client.pk)
            continue
        try:
            _email_link(client, sent_by_id)
        except Exception:
            logger.exception("Could not email a sign-in link to client %s", client.pk)
            continue
        sent += 1
    return sent


def _email_link(client, sent_by_id):
    site = client.site
    billing = BillingSettings.for_site(site)
    template = InvoiceEmailTemplatePage.for_site(site) or InvoiceEmailTemplatePage()
    sent_by = get_user_model().objects.filter(pk=sent_by_id).first() if sent_by_id else None
    link = issue_sign_in_link(client, by=sent_by)
    composed = compose_sign_in_email(
        template,
        client_name=client.name,
        website_name=site.site_name or site.hostname,
        url=link.url,
        minutes=billing.sign_in_link_minutes,
        logo_url=template.logo_url(site),
    )
    message = EmailMultiAlternatives(
        subject=composed.subject,
        body=composed.text,
        from_email=sender_address(site, template, billing),
        to=[client.email],
        reply_to=[billing.reply_to] if billing.reply_to else None,
    )
    message.attach_alternative(composed.html, "text/html")
    message.tags = ["sign-in-link"]
    message.send()
    logger.info("Sign-in link emailed to client %s", client.pk)


def revoke_sign_in_links(client):
    """End every link of ``client`` that has not signed in yet."""
    revoked, _ = SignInLink.objects.filter(client=client, used_at__isnull=True).delete()
    if revoked:
        logger.info("%s unused sign-in link(s) of client %s revoked", revoked, client.pk)
    return revoked


def _find(token, site):
    if not SIGN_IN_TOKEN_PATTERN.fullmatch(token or ""):
        raise SignInLinkInvalid(_("This sign-in link is not valid."))
    token_hash = _hash(token)
    link = SignInLink.objects.select_related("client").filter(token_hash=token_hash).first()
    if (
        link is None
        or not hmac.compare_digest(link.token_hash, token_hash)
        or link.site_id != site.pk
        or link.client.site_id != site.pk
    ):
        raise SignInLinkInvalid(_("This sign-in link is not valid."))
    return link


def check_sign_in_link(token, *, site) -> SignInLink:
    """The link ``token`` opens on ``site``, unused and unexpired, without using it. Raises
    ``SignInLinkInvalid`` (a 404: unknown, malformed or another website's) or ``SignInLinkUnusable``."""
    link = _find(token, site)
    if link.used_at is not None:
        raise SignInLinkUnusable(_("This sign-in link was used already. Each link signs you in once."))
    if link.is_expired:
        raise SignInLinkUnusable(_("This sign-in link has expired."))
    return link


def redeem_sign_in_link(token, *, site) -> Client:
    """Use the link: once, and only before it expires (one UPDATE decides, so two tabs or two
    servers racing with the same link sign in once). Returns the client it signs in."""
    link = check_sign_in_link(token, site=site)
    used = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=timezone.now()).update(
        used_at=timezone.now()
    )
    if not used:
        raise SignInLinkUnusable(_("This sign-in link was used already. Each link signs you in once."))
    logger.info("Client %s signed in to their billing account on site %s", link.client_id, site.pk)
    return link.client
