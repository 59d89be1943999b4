import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Collection, Locale, Page, Site

from invoicing.core.roles import Role
from invoicing.models import (
    BillingAccountPage,
    Client,
    CreditEntry,
    CreditNote,
    DiscountCode,
    DiscountRedemption,
    Instalment,
    Invoice,
    InvoiceEmailTemplatePage,
    InvoiceTemplate,
    Payment,
    PayPage,
    RecurringSchedule,
    SiteRole,
    TaxRate,
)

pytestmark = pytest.mark.django_db

# "  Acme Corp: http://acme.localhost:8000/  pay link: …  account: … (sign in as …)"
WEBSITE_LINE = re.compile(
    r"^  (?P<name>.+): (?P<root>http://\S+)/  pay link: (?P<pay>\S+)  account: (?P<account>\S+) "
    r"\(sign in as (?P<email>\S+)\)$",
    re.MULTILINE,
)
# "  Acme Corp, Billing clerk: http://localhost:8000/admin/  (user: acme-clerk, password: …)"
ROLE_USER_LINE = re.compile(
    r"^  (?P<site>[^,\n]+), (?P<role>[^:\n]+): http://localhost:8000/admin/  "
    r"\(user: (?P<username>\S+), password: (?P<password>\S+)\)$",
    re.MULTILINE,
)
ROLE_USERS = {
    "acme-clerk": ("Acme Corp", Role.CLERK),
    "acme-manager": ("Acme Corp", Role.MANAGER),
    "acme-editor": ("Acme Corp", Role.MARKETING_EDITOR),
    "globex-editor": ("Globex", Role.MARKETING_EDITOR),
}


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return [
        model.objects.count()
        for model in (
            Site,
            Client,
            Invoice,
            Payment,
            CreditEntry,
            PayPage,
            BillingAccountPage,
            InvoiceEmailTemplatePage,
            InvoiceTemplate,
            RecurringSchedule,
            TaxRate,
            DiscountCode,
            DiscountRedemption,
            Instalment,
            CreditNote,
            get_user_model(),
            Group,
            SiteRole,
        )
    ]


def printed_websites(output):
    return {match["name"]: match.groupdict() for match in WEBSITE_LINE.finditer(output)}


def printed_role_users(output):
    return {match["username"]: match.groupdict() for match in ROLE_USER_LINE.finditer(output)}


def test_seed_demo_builds_two_branded_sites_with_invoices_in_every_state(client):
    output = seed()
    assert sorted(Site.objects.values_list("hostname", flat=True)) == ["acme.localhost", "globex.localhost"]
    for site in Site.objects.all():
        statuses = set(Invoice.objects.filter(site=site).values_list("status", flat=True))
        assert statuses == {"draft", "open", "paid", "void", "uncollectible"}
        assert Invoice.objects.filter(site=site, status="open", amount_paid__gt=0).exists()  # partially paid
        assert any(invoice.is_overdue for invoice in Invoice.objects.filter(site=site))
        assert CreditEntry.objects.filter(client__site=site).exists()
    brands = {page.brand_color for page in InvoiceEmailTemplatePage.objects.live()}
    assert len(brands) == 2
    assert get_user_model().objects.get(username="admin").is_superuser

    password = re.search(r"password: (\S+)\)", output).group(1)
    assert client.login(username="admin", password=password)

    links = re.findall(r"pay link: (\S+)", output)
    assert len(links) == 2
    for link in links:
        parts = urlsplit(link)
        response = client.get(parts.path, HTTP_HOST=parts.netloc)
        assert response.status_code == 200
        number = re.search(r"/pay/invoice/INV-(.+)-[A-Za-z0-9_\-]{43}/$", link).group(1)
        assert number in response.content.decode()


@pytest.mark.usefixtures("empty_cache")
def test_seed_demo_prints_each_websites_account_page_and_a_client_to_sign_in_as(
    client, anymail_outbox, django_capture_on_commit_callbacks
):
    websites = printed_websites(seed())
    assert sorted(websites) == ["Acme Corp", "Globex"]
    for site in Site.objects.all():
        account = BillingAccountPage.objects.descendant_of(site.root_page).get()
        assert account.live
        printed = websites[site.site_name]
        assert printed["root"] == f"http://{site.hostname}:8000"
        assert printed["account"] == f"http://{site.hostname}:8000/account/"
        parts = urlsplit(printed["account"])
        page = client.get(parts.path, HTTP_HOST=parts.netloc)
        assert page.status_code == 200 and 'name="email"' in page.content.decode()

        # The printed client has enough on this website to make the account worth a look.
        account_client = Client.objects.get(site=site, email=printed["email"])
        invoices = Invoice.objects.filter(client=account_client)
        assert len({invoice.status for invoice in invoices}) >= 3
        assert any(invoice.is_overdue for invoice in invoices)
        assert invoices.filter(status="open", amount_paid__gt=0).exists()  # partly paid

        # And signing in as them works: the account page emails them a link.
        with django_capture_on_commit_callbacks(execute=True):
            client.post(parts.path + "sign-in/", {"email": printed["email"]}, HTTP_HOST=parts.netloc)
        [email] = [message for message in anymail_outbox if message.to == [printed["email"]]]
        assert f"http://{site.hostname}:8000/account/sign-in/SIGNIN-" in email.body


def test_the_demo_schedules_catch_up_their_periods_on_the_first_run(anymail_outbox, django_capture_on_commit_callbacks):
    seed()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("generate_recurring_invoices", stdout=StringIO())
    for site in Site.objects.all():
        assert InvoiceTemplate.objects.filter(site=site).count() == 2
        care_plan, retainer = RecurringSchedule.objects.filter(site=site).order_by("id")
        assert retainer.auto_charge and not care_plan.auto_charge
        # Started three months ago: that month's period and the three since, each issued and emailed once.
        invoices = care_plan.invoices.order_by("period_start")
        assert len(invoices) == 4
        assert {invoice.status for invoice in invoices} == {"open"}
        assert len({invoice.title for invoice in invoices}) == 4  # "Care plan, <month>", filled per period
        assert not any("{" in invoice.title for invoice in invoices)
        assert retainer.invoices.count() == 2
    sent = [message for message in anymail_outbox if "Care plan" in message.body]
    assert len(sent) == 2 * 4


def test_the_demo_shows_each_money_feature():
    seed()
    acme = Site.objects.get(hostname="acme.localhost")
    assert list(TaxRate.objects.filter(site=acme, is_default=True).values_list("name", flat=True)) == ["VAT 19 %"]
    lodz = Client.objects.get(site=acme, email="kawa@lodz.example")
    assert (lodz.tax_treatment, lodz.tax_id) == ("reverse_charge", "PL5260250995")
    # Issued after the treatment was set: no tax on the reverse-charge client's invoices.
    assert not Invoice.objects.filter(client=lodz).exclude(status="draft").exclude(tax=0).exists()
    draft = Invoice.objects.get(site=acme, title="Website redesign, phase 2")
    assert draft.discount_code.code == "WELCOME10" and draft.discount_total == 400
    planned = Invoice.objects.get(site=acme, title="Annual maintenance")
    assert [i.amount for i in planned.instalments.all()] == [595, 595, 595]
    assert planned.amount_due == 1190 and planned.collect_by == planned.instalments.all()[1].due_date
    note = CreditNote.objects.get(site=acme)
    assert note.invoice.title == "Consulting, May" and note.credited == note.total == 1428
    assert CreditEntry.objects.filter(client__site=acme, kind=CreditEntry.Kind.ADDED, amount=200).count() == 1


def test_seed_demo_is_idempotent_and_rotates_the_printed_links(client):
    first = seed()
    first_links = re.findall(r"pay link: (\S+)", first)
    before = counts()
    second = seed()
    second_links = re.findall(r"pay link: (\S+)", second)
    assert counts() == before
    assert set(first_links).isdisjoint(second_links)
    old = urlsplit(first_links[0])
    assert client.get(old.path, HTTP_HOST=old.netloc).status_code == 410
    # The role users' passwords are fresh too: the first run's no longer open the admin.
    for username, printed in printed_role_users(first).items():
        assert printed["password"] != printed_role_users(second)[username]["password"]
        assert not client.login(username=username, password=printed["password"])


def test_seed_demo_makes_one_user_per_role_in_their_websites_group_only(client):
    printed = printed_role_users(seed())
    assert sorted(printed) == sorted(ROLE_USERS)
    # Both websites' three roles, as invoicing_roles makes them.
    assert sorted(SiteRole.objects.values_list("site__site_name", "role")) == sorted(
        (site_name, role) for site_name in ("Acme Corp", "Globex") for role in Role.values
    )
    for username, (site_name, role) in ROLE_USERS.items():
        user = get_user_model().objects.get(username=username)
        assert user.is_staff and user.is_active and not user.is_superuser
        assert list(user.groups.all()) == [SiteRole.objects.get(site__site_name=site_name, role=role).group]
        assert (printed[username]["site"], printed[username]["role"]) == (site_name, role.label)
        assert client.login(username=username, password=printed[username]["password"])
        assert client.get("/admin/").status_code == 200
        client.logout()


def test_seed_demo_puts_a_role_user_back_in_their_group_only(monkeypatch, client):
    """What an admin changed on a demo user (another group, superuser) is undone by the next run,
    so that the demo tour's users see what it says; the password comes from the environment when set."""
    seed()
    clerk = get_user_model().objects.get(username="acme-clerk")
    manager_group = SiteRole.objects.get(site__hostname="acme.localhost", role=Role.MANAGER).group
    clerk.groups.add(manager_group)
    clerk.is_superuser = True
    clerk.save()
    monkeypatch.setenv("DEMO_USER_PASSWORD", "the-demo-users-password")
    printed = printed_role_users(seed())
    clerk.refresh_from_db()
    assert not clerk.is_superuser
    assert [site_role.role for site_role in SiteRole.objects.filter(group__user=clerk)] == [Role.CLERK]
    assert {user["password"] for user in printed.values()} == {"the-demo-users-password"}
    assert client.login(username="acme-editor", password="the-demo-users-password")


def test_seed_demo_on_another_port_moves_the_sites_instead_of_adding_some(client):
    seed()
    output = seed("--port", "9000")
    links = re.findall(r"pay link: (\S+)", output)
    assert Site.objects.count() == 2
    assert all(
        link.startswith(("http://acme.localhost:9000/pay/", "http://globex.localhost:9000/pay/")) for link in links
    )
    assert {website["account"] for website in printed_websites(output).values()} == {
        "http://acme.localhost:9000/account/",
        "http://globex.localhost:9000/account/",
    }


def test_seed_demo_rebuilds_what_a_flushed_database_lacks():
    """``manage.py flush`` also empties what Wagtail's migrations made: the page tree's root, the
    root collection (for the logos) and the default locale."""
    Site.objects.all().delete()
    Page.objects.all().delete()
    Collection.objects.all().delete()
    Locale.objects.all().delete()
    seed()
    assert sorted(Site.objects.values_list("hostname", flat=True)) == ["acme.localhost", "globex.localhost"]
    assert Invoice.objects.filter(site__hostname="acme.localhost").exists()
