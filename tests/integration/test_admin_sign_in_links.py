"""Sending clients a sign-in link to their billing account from the admin, through Django's test
client against the admin's URLs: the button on the client's page and the listing's bulk action.
Each send emails the client (after commit, through the task), is logged in the client's history
without the token, and is refused for another website's client, without the permission, on GET,
and where the website has no client accounts."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from invoicing.models import BillingLogEntry, BillingSettings, SignInLink
from tests.factories import ACCESS_ADMIN, ClientFactory, billing_staff

pytestmark = pytest.mark.usefixtures("empty_cache")

SIGN_IN_LINK = re.compile(r"http://[^\s\"<]+/account/sign-in/(SIGNIN-[A-Za-z0-9_\-]{43})/")
LOGGED = "invoicing.send_sign_in_link"


def send_url(customer):
    return reverse("wagtailsnippets_invoicing_client:send_sign_in_link", args=[customer.pk])


def inspect_url(customer):
    return reverse("wagtailsnippets_invoicing_client:inspect", args=[customer.pk])


def bulk_url(customers):
    url = reverse("wagtail_bulk_action", args=["invoicing", "client", "send_sign_in_links"])
    return url + "?" + "&".join(f"id={customer.pk}" for customer in customers)


def sign_in_emails(outbox):
    return [message for message in outbox if "sign-in-link" in message.tags]


def message_texts(response):
    # Wagtail's admin messages may end with the markup of their (absent) buttons.
    return [(message.level_tag, str(message).strip()) for message in get_messages(response.wsgi_request)]


def accounts_off(site):
    billing = BillingSettings.for_site(site)
    billing.account_page_enabled = False
    billing.save()


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """POST as the logged-in user, running the after-commit callbacks (the task that emails)."""

    def send(url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return send


class TestTheClientsButton:
    def test_sends_one_working_link_to_that_client_and_logs_it(
        self, admin_client, send, site_a, admin_user, anymail_outbox
    ):
        jane = ClientFactory(site=site_a, name="Jane Doe", email="jane@acme.example")
        ClientFactory(site=site_a, email="someone-else@acme.example")

        page = admin_client.get(inspect_url(jane)).content.decode()
        assert send_url(jane) in page and "Send sign-in link" in page
        confirm = admin_client.get(send_url(jane))
        assert confirm.status_code == 200
        assert "jane@acme.example" in confirm.content.decode() and "15 minutes" in confirm.content.decode()

        response = send(send_url(jane))
        assert response.status_code == 302 and response["Location"] == inspect_url(jane)
        assert message_texts(response) == [
            ("success", "A sign-in link is on its way to jane@acme.example; it works once, for 15 minutes.")
        ]
        [email] = sign_in_emails(anymail_outbox)
        assert email.to == ["jane@acme.example"]
        assert len(anymail_outbox) == 1
        link = SIGN_IN_LINK.search(email.body)
        assert link.group(0).startswith(f"http://{site_a.hostname}/account/sign-in/")
        landing = admin_client.get(f"/account/sign-in/{link.group(1)}/", HTTP_HOST=site_a.hostname)
        assert landing.status_code == 200 and ">Sign in</button>" in landing.content.decode()
        assert SignInLink.objects.get().sent_by == admin_user

        [entry] = BillingLogEntry.objects.filter(action=LOGGED)
        assert (entry.object_id, entry.site_id, entry.user) == (str(jane.pk), site_a.pk, admin_user)
        assert entry.data == {"email": "jane@acme.example"}
        assert link.group(1) not in str(entry.data)
        history = admin_client.get(reverse("wagtailsnippets_invoicing_client:history", args=[jane.pk]))
        assert "Sign-in link sent to jane@acme.example" in history.content.decode()

    def test_get_only_asks_and_sends_nothing(self, admin_client, site_a, anymail_outbox):
        jane = ClientFactory(site=site_a)
        assert admin_client.get(send_url(jane)).status_code == 200
        assert admin_client.get(bulk_url([jane])).status_code == 200
        assert anymail_outbox == [] and not SignInLink.objects.exists()
        assert not BillingLogEntry.objects.filter(action=LOGGED).exists()

    def test_a_website_without_accounts_gets_the_services_reason_and_nothing_is_sent(
        self, admin_client, send, site_a, anymail_outbox
    ):
        jane = ClientFactory(site=site_a)
        accounts_off(site_a)
        confirm = admin_client.get(send_url(jane)).content.decode()
        assert "has no client account page" in confirm and "Send sign-in link</button>" not in confirm

        response = send(send_url(jane))
        assert response.status_code == 302
        [(level, text)] = message_texts(response)
        assert level == "error" and text.startswith("Acme has no client account page: turn it on under Settings")
        assert anymail_outbox == [] and not SignInLink.objects.exists()
        assert not BillingLogEntry.objects.filter(action=LOGGED).exists()


class TestTheBulkAction:
    def test_sends_one_link_to_each_selected_client(self, admin_client, send, site_a, site_b, anymail_outbox):
        customers = [ClientFactory(site=site_a), ClientFactory(site=site_a), ClientFactory(site=site_b)]
        ClientFactory(site=site_a)  # not selected
        listing = admin_client.get(reverse("wagtailsnippets_invoicing_client:list")).content.decode()
        assert "Send sign-in links" in listing
        confirm = admin_client.get(bulk_url(customers)).content.decode()
        assert "3 clients are selected" in confirm

        response = send(bulk_url(customers))
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailsnippets_invoicing_client:list")
        assert message_texts(response) == [("success", "Sign-in links are on their way to 3 clients.")]
        emails = sign_in_emails(anymail_outbox)
        assert sorted(email.to[0] for email in emails) == sorted(customer.email for customer in customers)
        assert len(anymail_outbox) == 3
        assert sorted(BillingLogEntry.objects.filter(action=LOGGED).values_list("object_id", flat=True)) == sorted(
            str(customer.pk) for customer in customers
        )
        # Each link works on its own client's website.
        for email, customer in ((email, next(c for c in customers if c.email == email.to[0])) for email in emails):
            token = SIGN_IN_LINK.search(email.body).group(1)
            landing = admin_client.get(f"/account/sign-in/{token}/", HTTP_HOST=customer.site.hostname)
            assert landing.status_code == 200

    def test_reports_which_clients_were_refused_and_why(self, admin_client, send, site_a, site_b, anymail_outbox):
        acme = [ClientFactory(site=site_a, name="Acme One"), ClientFactory(site=site_a, name="Acme Two")]
        globex = ClientFactory(site=site_b)
        accounts_off(site_a)
        confirm = admin_client.get(bulk_url([*acme, globex])).content.decode()
        assert confirm.count("data-sign-in-refusal") == 2

        response = send(bulk_url([*acme, globex]))
        assert response.status_code == 302
        [(success, sent), (error, refused)] = message_texts(response)
        assert (success, sent) == ("success", "A sign-in link is on its way to 1 client.")
        assert error == "error"
        assert refused.startswith("Not sent to Acme One, Acme Two: Acme has no client account page")
        assert [email.to for email in sign_in_emails(anymail_outbox)] == [[globex.email]]
        assert BillingLogEntry.objects.filter(action=LOGGED).count() == 1


class TestWhoMaySend:
    def test_another_websites_client_is_a_404_and_nothing_is_sent(
        self, client, send, site_a, site_b, acme_clerk, anymail_outbox
    ):
        client.force_login(acme_clerk)
        ours, theirs = ClientFactory(site=site_a), ClientFactory(site=site_b)
        assert client.get(send_url(theirs)).status_code == 404
        assert send(send_url(theirs)).status_code == 404
        assert client.get(bulk_url([theirs])).status_code == 404
        assert send(bulk_url([theirs])).status_code == 404
        # Not even alongside one of its own: the whole request is refused, nothing is sent.
        assert send(bulk_url([ours, theirs])).status_code == 404
        assert send(bulk_url([ours]) + "&id=999999").status_code == 404
        assert anymail_outbox == [] and not SignInLink.objects.exists()
        assert not BillingLogEntry.objects.filter(action=LOGGED).exists()
        # Its own website's client it may send to.
        assert send(send_url(ours)).status_code == 302
        assert [email.to for email in sign_in_emails(anymail_outbox)] == [[ours.email]]

    def test_select_all_only_reaches_the_users_websites(self, client, send, site_a, site_b, acme_clerk, anymail_outbox):
        client.force_login(acme_clerk)
        ours, theirs = ClientFactory(site=site_a), ClientFactory(site=site_b)
        url = reverse("wagtail_bulk_action", args=["invoicing", "client", "send_sign_in_links"]) + "?id=all"
        assert send(url).status_code == 302
        assert [email.to for email in sign_in_emails(anymail_outbox)] == [[ours.email]]
        assert theirs.email not in str(anymail_outbox[0].to)

    @pytest.mark.parametrize("permissions", [(ACCESS_ADMIN, "view_client"), (ACCESS_ADMIN, "view_invoice")])
    def test_without_change_client_it_is_refused_and_nothing_is_sent(
        self, client, send, site_a, anymail_outbox, permissions
    ):
        client.force_login(billing_staff(site_a, permissions=permissions))
        jane = ClientFactory(site=site_a)
        if "view_client" in permissions:
            page = client.get(inspect_url(jane))
            assert page.status_code == 200 and send_url(jane) not in page.content.decode()
        # Wagtail's admin answers PermissionDenied with its home page and "Sorry, you do not have permission".
        for response in (
            client.get(send_url(jane)),
            send(send_url(jane)),
            client.get(bulk_url([jane])),
            send(bulk_url([jane])),
        ):
            assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
            assert any("do not have permission" in text for _level, text in message_texts(response))
        assert anymail_outbox == [] and not SignInLink.objects.exists()
        assert not BillingLogEntry.objects.filter(action=LOGGED).exists()

    def test_without_the_admin_it_is_the_login_page_and_nothing_is_sent(self, client, send, site_a, anymail_outbox):
        jane = ClientFactory(site=site_a)
        for url in (send_url(jane), bulk_url([jane])):
            response = send(url)
            assert response.status_code == 302 and response["Location"].startswith(reverse("wagtailadmin_login"))
        assert anymail_outbox == [] and not SignInLink.objects.exists()
