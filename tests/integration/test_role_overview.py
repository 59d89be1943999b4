"""Who can do what: the read-only view under Settings, per website, and the "Your billing access"
panel of one's account page, on two websites whose roles ``invoicing_roles`` made."""

from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import GroupPagePermission

from invoicing.admin.roles import ROLES_URL_NAME
from invoicing.core.roles import Role
from invoicing.models import PayPage, SiteRole
from invoicing.services.sites import set_up_site

from ..factories import ACCESS_ADMIN, UserFactory, billing_group

pytestmark = pytest.mark.django_db

WHO_CAN_DO_WHAT = reverse(ROLES_URL_NAME)
ACCOUNT = reverse("wagtailadmin_account")

SEE = "See invoices, clients and credit notes"
DRAFTS = "Create and edit draft invoices and clients"
ISSUE_AND_SEND = "Issue and send invoices, record manual payments"
DOCUMENTS = "Download PDFs and e-invoices"
VOID = "Void invoices"
WRITE_OFF = "Write off invoices"
CREDIT = "Issue credit notes and refunds"
LEDGER = "Read the payments ledger"
STRIPE_EVENTS = "Read and replay Stripe events"
REPORTS = "Read reports and export"
SETTINGS = "Change Settings → Billing"
EMAIL_EDIT = "Edit and preview the invoice emails"
EMAIL_PUBLISH = "Publish the invoice emails"
EVERY_CAPABILITY = [
    SEE,
    DRAFTS,
    ISSUE_AND_SEND,
    DOCUMENTS,
    VOID,
    WRITE_OFF,
    CREDIT,
    LEDGER,
    STRIPE_EVENTS,
    REPORTS,
    SETTINGS,
    EMAIL_EDIT,
    EMAIL_PUBLISH,
]
# What each role may do on its website, written out here rather than read from core.roles.
CLERK_MAY = {SEE, DRAFTS, ISSUE_AND_SEND, DOCUMENTS}
MANAGER_MAY = CLERK_MAY | {
    VOID,
    WRITE_OFF,
    CREDIT,
    LEDGER,
    STRIPE_EVENTS,
    REPORTS,
    SETTINGS,
}
EDITOR_MAY = {EMAIL_EDIT, EMAIL_PUBLISH}


@pytest.fixture
def roles(site_a, site_b):
    """The role groups of both websites, as a site owner makes them: ``{(site, role): group}``."""
    for site in (site_a, site_b):
        set_up_site(site)
    call_command("invoicing_roles", stdout=StringIO())
    return {(site_role.site, site_role.role): site_role.group for site_role in SiteRole.objects.select_related("site")}


def member_of(*groups, username):
    user = UserFactory(username=username, is_staff=True, first_name=username.title())
    user.groups.add(*groups)
    return user


@pytest.fixture
def acme_manager(roles, site_a):
    return member_of(roles[site_a, Role.MANAGER], username="manager")


@pytest.fixture
def acme_clerk(roles, site_a):
    return member_of(roles[site_a, Role.CLERK], username="clerk")


def get(client, user, url=WHO_CAN_DO_WHAT):
    client.force_login(user)
    return client.get(url)


def matrix(response):
    """``{website: {group: {column heading: cell text}}}``, as the view's tables read."""
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    websites = {}
    for table in page.select("main table"):
        section = table.find_parent("section")
        headings = [heading.get_text(" ", strip=True) for heading in table.thead.find_all("th")]
        rows = {}
        for row in table.tbody.find_all("tr"):
            cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            rows[cells[0]] = dict(zip(headings, cells, strict=False))
        websites[section.h2.get_text(strip=True)] = rows
    return websites


def capabilities_in(row):
    """The capabilities a row says yes to; every cell must say yes or no in words, not only symbols."""
    assert {row[capability] for capability in EVERY_CAPABILITY} <= {"✓ Yes", "— No"}
    return {capability for capability in EVERY_CAPABILITY if row[capability] == "✓ Yes"}


def test_a_manager_sees_what_each_role_of_their_website_may_do(client, roles, site_a, acme_manager, acme_clerk):
    websites = matrix(get(client, acme_manager))

    assert list(websites) == ["Acme"]  # not Globex: they manage Acme only
    acme = websites["Acme"]
    clerks, managers, editors = (acme[f"Acme · {role.label}"] for role in Role)
    assert capabilities_in(clerks) == CLERK_MAY
    assert capabilities_in(managers) == MANAGER_MAY
    assert capabilities_in(editors) == EDITOR_MAY
    assert (clerks["Role"], managers["Role"], editors["Role"]) == (
        "Billing clerk",
        "Billing manager",
        "Marketing editor",
    )
    assert (clerks["Members"], managers["Members"], editors["Members"]) == ("Clerk", "Manager", "No active members")
    assert not any(group.startswith("Globex") for group in acme)
    assert "Everything, on every website" in acme["Superusers"].values()


def test_a_superuser_sees_every_website_and_may_open_the_groups(client, roles, site_a, site_b, admin_user):
    response = get(client, admin_user)
    websites = matrix(response)

    assert {"Acme", "Globex"} <= set(websites)
    assert capabilities_in(websites["Globex"]["Globex · Billing clerk"]) == CLERK_MAY
    assert "Globex · Billing clerk" not in websites["Acme"]
    assert "admin" in websites["Globex"]["Superusers"]["Members"]
    edit_group = reverse("wagtailusers_groups:edit", args=[roles[site_b, Role.CLERK].pk])
    assert f'href="{edit_group}"'.encode() in response.content


def test_a_manager_who_may_not_change_groups_gets_no_links_to_them(client, roles, site_a, acme_manager):
    response = get(client, acme_manager)
    assert reverse("wagtailusers_groups:edit", args=[roles[site_a, Role.CLERK].pk]).encode() not in response.content


def test_the_menu_item_is_for_those_who_may_change_billing_settings(client, acme_manager, acme_clerk):
    assert WHO_CAN_DO_WHAT in get(client, acme_manager, reverse("wagtailadmin_home")).content.decode()
    assert WHO_CAN_DO_WHAT not in get(client, acme_clerk, reverse("wagtailadmin_home")).content.decode()


def assert_refused(client, user):
    """Wagtail's refusal: back to the dashboard with an error, or a 403 for a script."""
    response = get(client, user)
    assert (response.status_code, response.url) == (302, reverse("wagtailadmin_home"))
    assert "you do not have permission" in client.get(response.url).content.decode()
    assert client.get(WHO_CAN_DO_WHAT, headers={"x-requested-with": "XMLHttpRequest"}).status_code == 403


def test_a_clerk_or_an_editor_is_refused(client, roles, site_a, acme_clerk):
    assert_refused(client, acme_clerk)
    assert_refused(client, member_of(roles[site_a, Role.MARKETING_EDITOR], username="editor"))


def test_settings_permission_on_another_website_shows_that_website_only(client, roles, site_a, site_b):
    # Globex's manager who is also Acme's clerk: Acme's billing settings are not theirs to change.
    user = member_of(roles[site_a, Role.CLERK], roles[site_b, Role.MANAGER], username="both")
    assert list(matrix(get(client, user))) == ["Globex"]


def test_a_permission_removed_by_hand_shows_as_no(client, roles, site_a, acme_manager):
    roles[site_a, Role.MANAGER].permissions.remove(Permission.objects.get(codename="void_invoice"))

    managers = matrix(get(client, acme_manager))["Acme"]["Acme · Billing manager"]

    assert managers[VOID] == "— No"
    assert capabilities_in(managers) == MANAGER_MAY - {VOID}


def test_each_permission_counts_on_its_own_website(client, roles, site_a, site_b, admin_user):
    # Globex's billing, with voiding, and Acme's emails: neither spills over to the other website.
    group = billing_group(site_b, name="Globex voiders", permissions=("void_invoice", "view_invoice"))
    GroupPagePermission.objects.create(
        group=group, page=site_a.root_page, permission=Permission.objects.get(codename="change_page")
    )

    websites = matrix(get(client, admin_user))

    assert capabilities_in(websites["Globex"]["Globex voiders"]) == {VOID, DOCUMENTS}
    assert capabilities_in(websites["Acme"]["Globex voiders"]) == {EMAIL_EDIT}
    assert websites["Acme"]["Globex voiders"]["Role"] == "No role"


def test_a_page_permission_counts_on_the_emails_page_or_an_ancestor_only(client, roles, site_a, admin_user):
    change_page = Permission.objects.get(codename="change_page")
    writers = Group.objects.create(name="Acme writers")
    GroupPagePermission.objects.create(group=writers, page=site_a.root_page, permission=change_page)
    pay_page_editors = Group.objects.create(name="Acme pay page editors")  # a sibling of the emails page
    GroupPagePermission.objects.create(
        group=pay_page_editors, page=PayPage.objects.descendant_of(site_a.root_page).get(), permission=change_page
    )

    websites = matrix(get(client, admin_user))

    assert capabilities_in(websites["Acme"]["Acme writers"]) == {EMAIL_EDIT}
    assert "Acme writers" not in websites["Globex"]
    assert "Acme pay page editors" not in websites["Acme"]


def some_group(number, site):
    """A group that reaches ``site`` both ways, holds billing permissions, and has a member."""
    group = billing_group(
        site, name=f"Group {number}", permissions=("view_invoice", "void_invoice", "view_payment", ACCESS_ADMIN)
    )
    GroupPagePermission.objects.create(
        group=group, page=site.root_page, permission=Permission.objects.get(codename="change_page")
    )
    member_of(group, username=f"member{number}")


def queries_to_read(client, url):
    client.get(url)  # the first visit makes the user's profile
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_groups(client, site_a, site_b, admin_user):
    Group.objects.all().delete()  # Wagtail's own Editors and Moderators
    someone = member_of(username="someone")
    for number in range(2):
        some_group(number, site_a)
    someone.groups.set(Group.objects.all())
    client.force_login(admin_user)
    two_groups = queries_to_read(client, WHO_CAN_DO_WHAT)
    client.force_login(someone)
    two_groups_account = queries_to_read(client, ACCOUNT)

    for number in range(2, 6):
        some_group(number, [site_a, site_b][number % 2])
    someone.groups.set(Group.objects.all())
    client.force_login(admin_user)
    six_groups = queries_to_read(client, WHO_CAN_DO_WHAT)
    client.force_login(someone)
    six_groups_account = queries_to_read(client, ACCOUNT)

    assert len(matrix(get(client, admin_user))["Globex"]) == 2 + 1  # and the superusers
    assert (six_groups, six_groups_account) == (two_groups, two_groups_account)


def billing_access(response):
    """``{website: [what the user may do there]}`` from the account page's "Your billing access"."""
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    return {
        section.h3.get_text(strip=True): [item.get_text(strip=True) for item in section.select("li")]
        for section in page.select("section[aria-labelledby^=invoicing-billing-access-]")
    }


def test_the_account_page_lists_what_one_may_do_on_each_website(client, roles, site_a, site_b):
    user = member_of(roles[site_a, Role.CLERK], roles[site_b, Role.MANAGER], username="both")

    access = billing_access(get(client, user, ACCOUNT))

    assert list(access) == ["Acme", "Globex"]
    assert access["Acme"] == [SEE, DRAFTS, ISSUE_AND_SEND, DOCUMENTS]  # no void here: a clerk of Acme
    assert set(access["Globex"]) == MANAGER_MAY


def test_an_editor_sees_the_emails_of_their_website_only(client, roles, site_b):
    editor = member_of(roles[site_b, Role.MARKETING_EDITOR], username="editor")
    assert billing_access(get(client, editor, ACCOUNT)) == {"Globex": [EMAIL_EDIT, EMAIL_PUBLISH]}


def test_the_panel_says_a_superuser_may_do_everything_and_is_absent_without_access(client, roles, admin_user):
    assert "you may do everything, on every website" in get(client, admin_user, ACCOUNT).content.decode()
    nobody = member_of(username="nobody")
    assert "Your billing access" not in get(client, nobody, ACCOUNT).content.decode()


def test_the_read_only_panel_leaves_the_account_form_working(client, roles, acme_clerk):
    client.force_login(acme_clerk)
    form = {"name_email-first_name": "Clara", "name_email-last_name": "Clerk", "name_email-email": "c@example.com"}
    response = client.post(
        ACCOUNT, {**form, "theme-theme": "system", "theme-contrast": "system", "theme-density": "default"}
    )
    assert (response.status_code, response.url) == (302, ACCOUNT)
    acme_clerk.refresh_from_db()
    assert acme_clerk.first_name == "Clara"
