"""Who is signed in to a billing account, in Django's session: one client per website, until an
idle time passes or they sign out. A Django user linked to a client (``Client.user``) and signed
in to the site sees that client's account without a link."""

import time
from dataclasses import dataclass

from ...models import BillingSettings, Client

SESSION_KEY = "invoicing_billing_accounts"


@dataclass(frozen=True)
class Visitor:
    client: Client | None
    timed_out: bool = False  # was signed in, and the idle time ran out
    by_link: bool = False  # signed in with a link (and so can sign out), not as a linked user


def _accounts(request):
    return dict(request.session.get(SESSION_KEY, {}))


def sign_in(request, client):
    """A new session key first, so that a key planted before the sign-in (session fixation) never
    carries the account."""
    request.session.cycle_key()
    accounts = _accounts(request)
    accounts[str(client.site_id)] = {"client": client.pk, "seen": time.time()}
    request.session[SESSION_KEY] = accounts


def sign_out(request, site):
    accounts = _accounts(request)
    accounts.pop(str(site.pk), None)
    request.session.cycle_key()  # the old key now opens nothing, wherever it was copied to
    request.session[SESSION_KEY] = accounts


def _forget(request, site):
    accounts = _accounts(request)
    accounts.pop(str(site.pk), None)
    request.session[SESSION_KEY] = accounts


def visitor(request, site) -> Visitor:
    """The client signed in to ``site``'s account in this session, if any; each call counts as
    activity."""
    entry = _accounts(request).get(str(site.pk))
    if entry:
        idle = BillingSettings.for_site(site).account_idle_time.total_seconds()
        if time.time() - entry["seen"] > idle:
            _forget(request, site)
            return Visitor(client=None, timed_out=True)
        client = Client.objects.filter(pk=entry["client"], site=site).select_related("site").first()
        if client is not None:
            accounts = _accounts(request)
            accounts[str(site.pk)] = {**entry, "seen": time.time()}
            request.session[SESSION_KEY] = accounts
            return Visitor(client=client, by_link=True)
        _forget(request, site)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        linked = Client.objects.filter(site=site, user=user).select_related("site").order_by("pk").first()
        if linked is not None:
            return Visitor(client=linked)
    return Visitor(client=None)
