"""The world of the role matrix: two websites, Acme and Globex, with the roles' groups that
``invoicing_roles`` makes, one user per role of Acme, and what each test acts on (a draft, an open
invoice, a payment, a Stripe event, a client) on either website, e-invoices on.

Made once per test module, inside a transaction that is rolled back after the module; each test
runs in a savepoint within it (pytest-django's own), so what a test changes is gone for the next.
Some hundred cases stay fast this way."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction

from invoicing.core.roles import Role
from invoicing.models import InvoiceEmailTemplatePage, SiteRole, StripeEvent
from invoicing.services.payments import record_manual_payment
from tests.factories import ClientFactory, UserFactory, draft_invoice, make_website, open_invoice
from tests.integration.einvoice_helpers import einvoice_client, turn_einvoices_on

SUPERUSER = "superuser"
OWN, OTHER = "own", "other"


def member(username, *grants):
    """A staff user in the groups of ``grants``: (site, role) pairs."""
    user = UserFactory(username=username, is_staff=True)
    for site, role in grants:
        user.groups.add(SiteRole.objects.get(site=site, role=role).group)
    return user


class World:
    """Acme is "own" (every role's user is Acme's), Globex is "other"."""

    def __init__(self, acme, globex, superuser):
        self.sites = {OWN: acme, OTHER: globex}
        self.users = {role.value: member(f"acme-{role.value}", (acme, role)) for role in Role}
        self.users[SUPERUSER] = superuser
        self.made = {}
        for website in (OWN, OTHER):
            turn_einvoices_on(self.sites[website])
            for make in (self.client_of, self.draft, self.open, self.payment, self.event):
                make(website)

    def _once(self, key, make):
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]

    def user(self, role):
        return self.users[role]

    def client_of(self, website):
        site = self.sites[website]
        return self._once(("client", website), lambda: einvoice_client(site, name=f"{site.site_name} customer"))

    def draft(self, website):
        return self._once(
            ("draft", website), lambda: draft_invoice(self.sites[website], client=self.client_of(website))
        )

    def open(self, website):
        """An issued invoice, nothing paid."""
        site = self.sites[website]
        return self._once(("open", website), lambda: open_invoice(site, client=self.client_of(website))[0])

    def payment(self, website):
        """A manual payment, on an invoice of its own."""

        def make():
            invoice, _link = open_invoice(self.sites[website], client=ClientFactory(site=self.sites[website]))
            return record_manual_payment(invoice, reason="Transfer", by=None).payment

        return self._once(("payment", website), make)

    def event(self, website):
        """A stored Stripe event of a type no handler takes: replaying it only counts an attempt."""
        site = self.sites[website]
        return self._once(
            ("event", website),
            lambda: StripeEvent.objects.create(
                event_id=f"evt_{site.site_name}",
                type="customer.updated",
                payload={"id": f"evt_{site.site_name}", "type": "customer.updated", "data": {"object": {}}},
                status=StripeEvent.Status.FAILED,
                site=site,
            ),
        )

    def email_page(self, website):
        return InvoiceEmailTemplatePage.objects.descendant_of(self.sites[website].root_page).get()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        cache.clear()
        outer = transaction.atomic()
        outer.__enter__()
        outer._from_testcase = True  # as Django's TestCase marks its own: services' atomics nest in it
        acme = make_website("acme.test", prefix="ACME")
        globex = make_website("globex.test", prefix="GLX", currency="USD")
        call_command("invoicing_roles", stdout=io.StringIO(), stderr=io.StringIO())
        made = World(acme, globex, UserFactory(username="admin", is_staff=True, is_superuser=True))
    yield made
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
        cache.clear()  # Wagtail's site root paths and the pay pages' fronts named these websites
