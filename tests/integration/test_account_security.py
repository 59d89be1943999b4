"""The billing account from the attacker's side: probing addresses, replaying, forging or moving
sign-in links, fixing or reusing sessions, reaching another client's rows, forging POSTs, and
flooding. Each rule of the account's sign-in has a test here that fails when the rule breaks."""

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client as HttpClient
from django.utils import timezone
from django_tasks import task_backends

from invoicing.models import BillingSettings, SignInLink
from invoicing.pay.account.session import SESSION_KEY
from invoicing.services.payments import record_manual_payment
from invoicing.services.sign_in import email_sign_in_links, issue_sign_in_link
from tests.accounts import ACCOUNT, host, sign_in
from tests.factories import ClientFactory, open_invoice

pytestmark = pytest.mark.usefixtures("empty_cache", "rate_limit_clock")

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def jane(site_a):
    return ClientFactory(site=site_a, name="Jane Doe", email="jane@example.com")


@pytest.fixture
def mallory(site_a):
    return ClientFactory(site=site_a, name="Mallory", email="mallory@example.com")


@pytest.fixture
def deferred_tasks(settings):
    """A backend that keeps tasks, as the database one does, instead of running them in the request."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    return task_backends["default"].results


def path(url):
    return urlsplit(url).path


def test_the_answer_and_the_work_are_the_same_for_a_known_and_an_unknown_address(
    client, site_a, jane, deferred_tasks, anymail_outbox, django_capture_on_commit_callbacks
):
    answers = {}
    for address in ("jane@example.com", "nobody@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(ACCOUNT + "sign-in/", {"email": address}, **host(jane))
        assert answer.status_code == 200
        answers[address] = CSRF_INPUT.sub("", answer.content.decode()).replace(address, "ADDRESS")
    assert answers["jane@example.com"] == answers["nobody@example.com"]
    # The request itself only queues the lookup: one task each, no email, no link written yet.
    assert [(result.task.func, result.args) for result in deferred_tasks] == [
        (email_sign_in_links.func, [site_a.pk, "jane@example.com"]),
        (email_sign_in_links.func, [site_a.pk, "nobody@example.com"]),
    ]
    assert anymail_outbox == [] and not SignInLink.objects.exists()
    # The task emails only the address on file on this website.
    assert [email_sign_in_links.call(*result.args) for result in deferred_tasks] == [1, 0]
    assert [message.to for message in anymail_outbox] == [["jane@example.com"]]


def test_only_a_client_of_this_website_gets_a_link(site_a, site_b, anymail_outbox):
    ClientFactory(site=site_b, email="jane@example.com")
    assert email_sign_in_links.call(site_a.pk, "jane@example.com") == 0
    assert anymail_outbox == []


def test_asking_again_within_a_minute_sends_no_second_email(site_a, jane, anymail_outbox):
    assert email_sign_in_links.call(site_a.pk, "jane@example.com") == 1
    assert email_sign_in_links.call(site_a.pk, "JANE@example.com") == 0
    assert len(anymail_outbox) == 1


def test_a_link_signs_in_once(client, jane):
    link = issue_sign_in_link(jane)
    assert client.post(path(link.url), **host(jane)).status_code == 302
    replay = HttpClient().post(path(link.url), **host(jane))
    assert replay.status_code == 410
    assert "This sign-in link was used already" in replay.content.decode()
    assert HttpClient().get(path(link.url), **host(jane)).status_code == 410


def test_an_expired_link_fails(client, jane):
    link = issue_sign_in_link(jane)
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = client.post(path(link.url), **host(jane))
    assert answer.status_code == 410 and "This sign-in link has expired." in answer.content.decode()
    assert SESSION_KEY not in client.session
    assert SignInLink.objects.get().used_at is None


def test_a_link_sent_to_an_address_since_changed_signs_nobody_in(client, jane):
    link = issue_sign_in_link(jane)
    jane.name = "Jane D."
    jane.save()
    assert client.get(path(link.url), **host(jane)).status_code == 200
    jane.email = "jane.doe@example.com"
    jane.save()
    assert client.post(path(link.url), **host(jane)).status_code == 404
    assert SESSION_KEY not in client.session


def test_the_link_lives_as_long_as_the_website_says(jane):
    BillingSettings.objects.filter(site=jane.site).update(sign_in_link_minutes=5)
    before = timezone.now()
    link = issue_sign_in_link(jane)
    assert timedelta(minutes=5) <= link.expires_at - before <= timedelta(minutes=5, seconds=5)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_opened_on_another_websites_host_or_a_forged_one_is_a_404(client, jane, site_b, method):
    link = issue_sign_in_link(jane)
    other_host = getattr(client, method)(path(link.url), HTTP_HOST=site_b.hostname)
    forged = getattr(client, method)(path(link.url)[:-6] + "AAAAA/", **host(jane))
    garbage = getattr(client, method)(ACCOUNT + "sign-in/SIGNIN-short/", **host(jane))
    assert [other_host.status_code, forged.status_code, garbage.status_code] == [404, 404, 404]
    assert SignInLink.objects.get().used_at is None and SESSION_KEY not in client.session


def test_signing_in_changes_the_session_key(client, jane):
    client.get(ACCOUNT, **host(jane))
    session = client.session
    session["planted"] = True
    session.save()
    planted_key = session.session_key
    sign_in(client, jane)
    assert client.session.session_key != planted_key
    # The planted key opens nothing.
    fixated = HttpClient()
    fixated.cookies["sessionid"] = planted_key
    assert "Email me a sign-in link" in fixated.get(ACCOUNT, **host(jane)).content.decode()


def test_signing_out_ends_the_session_and_its_old_key(client, jane):
    sign_in(client, jane)
    old_key = client.session.session_key
    answer = client.post(ACCOUNT + "sign-out/", **host(jane))
    assert answer["Location"] == ACCOUNT + "?signed_out=1"
    assert not SessionStore().exists(old_key)  # the old session is gone, not just emptied
    assert "Email me a sign-in link" in client.get(ACCOUNT, **host(jane)).content.decode()
    stolen = HttpClient()
    stolen.cookies["sessionid"] = old_key
    assert "Email me a sign-in link" in stolen.get(ACCOUNT, **host(jane)).content.decode()


def test_the_session_ends_after_the_idle_time(client, jane):
    BillingSettings.objects.filter(site=jane.site).update(account_idle_minutes=10)
    invoice, _ = open_invoice(jane.site, client=jane)
    sign_in(client, jane)

    def idle_for(minutes):
        session = client.session
        accounts = session[SESSION_KEY]
        accounts[str(jane.site_id)]["seen"] -= minutes * 60
        session[SESSION_KEY] = accounts
        session.save()

    idle_for(9)
    assert client.get(ACCOUNT, **host(jane)).status_code == 200  # activity: the clock starts again
    idle_for(9)
    assert invoice.number in client.get(ACCOUNT, **host(jane)).content.decode()
    idle_for(11)
    answer = client.get(f"{ACCOUNT}invoices/{invoice.pk}/", **host(jane))
    assert answer["Location"] == ACCOUNT + "?timed_out=1"
    assert "signed out after a while without activity" in client.get(answer["Location"], **host(jane)).content.decode()
    json = client.post(f"{ACCOUNT}invoices/{invoice.pk}/card/", HTTP_ACCEPT="application/json", **host(jane))
    assert json.status_code == 401


def test_a_session_on_one_website_opens_nothing_on_another(client, jane, site_b):
    sign_in(client, jane)
    other = client.get(ACCOUNT, HTTP_HOST=site_b.hostname).content.decode()
    assert "Email me a sign-in link" in other and "Jane Doe" not in other


def test_a_pay_link_is_never_a_sign_in(client, jane):
    invoice, link = open_invoice(jane.site, client=jane)
    assert client.get(path(link.url), **host(jane)).status_code == 200
    assert "Email me a sign-in link" in client.get(ACCOUNT, **host(jane)).content.decode()
    assert client.get(f"{ACCOUNT}invoices/{invoice.pk}/", **host(jane))["Location"] == ACCOUNT


def test_another_clients_rows_are_a_404_inside_a_valid_session(client, site_a, site_b, jane, mallory, admin_user):
    theirs, _ = open_invoice(site_a, client=mallory)
    their_payment = record_manual_payment(theirs, reason="bank", by=admin_user, amount="10.00").payment
    elsewhere, _ = open_invoice(site_b, client=ClientFactory(site=site_b, email="jane@example.com"))
    mine, _ = open_invoice(site_a, client=jane)
    sign_in(client, jane)

    assert client.get(f"{ACCOUNT}invoices/{mine.pk}/", **host(jane)).status_code == 200
    for invoice in (theirs, elsewhere):
        for suffix in ("", "pdf/", "return/?payment_intent=pi_x"):
            assert client.get(f"{ACCOUNT}invoices/{invoice.pk}/{suffix}", **host(jane)).status_code == 404
        for suffix in ("card/", "card/confirm-offline/", "credit/"):
            assert client.post(f"{ACCOUNT}invoices/{invoice.pk}/{suffix}", **host(jane)).status_code == 404
    for suffix in ("", "pdf/"):
        assert client.get(f"{ACCOUNT}receipts/{their_payment.pk}/{suffix}", **host(jane)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.amount_paid == 10 and theirs.card_payments.count() == 0


@pytest.mark.parametrize(
    "url",
    ["sign-in/", "sign-in/LINK", "sign-out/", "invoices/INVOICE/card/", "invoices/INVOICE/credit/"],
)
def test_every_post_needs_the_csrf_token(url, jane):
    invoice, _ = open_invoice(jane.site, client=jane)
    browser = HttpClient(enforce_csrf_checks=True)
    if url != "sign-in/LINK":
        signed_in = HttpClient()
        sign_in(signed_in, jane)
        browser.cookies["sessionid"] = signed_in.cookies["sessionid"].value
        assert "Sign out" in browser.get(ACCOUNT, **host(jane)).content.decode()
    link = issue_sign_in_link(jane)
    url = url.replace("sign-in/LINK", path(link.url)[len(ACCOUNT) :]).replace("INVOICE", str(invoice.pk))
    answer = browser.post(ACCOUNT + url, {"email": "jane@example.com"}, **host(jane))
    assert answer.status_code == 403
    assert SignInLink.objects.latest("pk").used_at is None


def test_asking_for_links_is_limited_per_address_and_per_ip(client, jane, settings, anymail_outbox):
    settings.INVOICING_RATE_LIMITS = {"ip": 100, "token": 3}
    ask = lambda address, ip: client.post(ACCOUNT + "sign-in/", {"email": address}, REMOTE_ADDR=ip, **host(jane))  # noqa: E731
    assert [ask("jane@example.com", f"198.51.100.{n}").status_code for n in range(4)] == [200, 200, 200, 429]
    assert ask("other@example.com", "198.51.100.9").status_code == 200
    settings.INVOICING_RATE_LIMITS = {"ip": 3, "token": 100}
    assert [ask(f"n{n}@example.com", "203.0.113.5").status_code for n in range(4)][-1] == 429


def test_guessing_sign_in_links_is_limited(client, jane, settings):
    settings.INVOICING_RATE_LIMITS = {"ip": 5, "token": 100}
    link = issue_sign_in_link(jane)
    guesses = [client.get(f"{path(link.url)[:-5]}{n:03d}x/", **host(jane)).status_code for n in range(5)]
    assert guesses == [404] * 5
    assert client.post(path(link.url), **host(jane)).status_code == 429
    assert SignInLink.objects.get().used_at is None


def test_no_sign_in_token_reaches_a_log(client, jane, caplog, anymail_outbox, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    link = issue_sign_in_link(jane)
    token = path(link.url).rstrip("/").rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ACCOUNT + "sign-in/", {"email": "jane@example.com"}, **host(jane))
    client.get(path(link.url)[:-3] + "xx/", **host(jane))  # a 404, which Django logs with its path
    client.post(path(link.url), **host(jane))
    client.post(path(link.url), **host(jane))  # a replay
    HttpClient(enforce_csrf_checks=True).post(path(link.url), **host(jane))  # a CSRF refusal, logged with its path
    emailed = re.search(r"SIGNIN-[A-Za-z0-9_\-]{43}", anymail_outbox[0].body).group(0)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Not Found" in logged and "Forbidden (CSRF" in logged
    assert token not in logged and emailed not in logged and token[:-2] not in logged


@pytest.mark.parametrize("signed_in", [False, True])
def test_account_pages_send_the_token_pages_headers(client, jane, signed_in):
    invoice, _ = open_invoice(jane.site, client=jane)
    if signed_in:
        sign_in(client, jane)
    paths = ["", f"invoices/{invoice.pk}/", "statement/"] if signed_in else ["", "sign-in/SIGNIN-x/"]
    for url in paths:
        answer = client.get(ACCOUNT + url, **host(jane))
        assert "no-store" in answer["Cache-Control"], url
        assert answer["Referrer-Policy"] == "strict-origin" and answer["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer["Content-Security-Policy"]
