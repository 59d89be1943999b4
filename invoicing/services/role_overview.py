"""Who can do what, per website: the groups that reach a website's billing (``SiteBillingAccess``)
or its Invoice emails page (a Wagtail page permission on it or an ancestor), what each may do
there in the terms of ``core.roles.CAPABILITIES``, and the same for one user. Read-only, and a
fixed number of queries however many websites, groups and capabilities there are.

A capability's billing permissions count only on the websites that the group holding them grants,
as ``models.access.sites_granting`` says; its page permissions count on the website's Invoice
emails page, held there or on an ancestor, as Wagtail says. Superusers may do everything."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Prefetch, Q
from wagtail.models import GroupPagePermission, Page, Site

from ..core.roles import CAPABILITIES
from ..models import InvoiceEmailTemplatePage, SiteBillingAccess


@dataclass(frozen=True)
class GroupCapabilities:
    """One group on one website: its role (``SiteRole``, whichever website it was made for, or
    ``None`` for a group made by hand), its active members, and what it may do there."""

    group: Group
    site_role: object
    members: tuple
    capabilities: frozenset

    def cells(self):
        """``(capability, held)`` for each of ``CAPABILITIES``, in their order: a row of the matrix."""
        return [(capability, capability in self.capabilities) for capability in CAPABILITIES]


@dataclass(frozen=True)
class WebsiteAccess:
    """Who can do what on ``site``: its groups (by name) and, apart, the superusers."""

    site: Site
    groups: tuple
    superusers: tuple


@dataclass(frozen=True)
class UserWebsiteAccess:
    """What one user may do on ``site``: the union over their groups, in ``CAPABILITIES``' order."""

    site: Site
    capabilities: tuple
    groups: tuple  # the user's groups that give them something there


@dataclass(frozen=True)
class UserAccess:
    superuser: bool  # everything, on every website
    websites: tuple


def _qualified(name, app_label):
    return name if "." in name else f"{app_label}.{name}"


def _holds(capability, permissions, grants_site, page_permissions):
    if not capability.permissions and not capability.page_permissions:
        return False
    billing = not capability.permissions or (
        grants_site and all(_qualified(name, "invoicing") in permissions for name in capability.permissions)
    )
    return billing and all(name in page_permissions for name in capability.page_permissions)


def _ancestor_paths(path):
    """``path`` and its ancestors' paths in Wagtail's page tree (treebeard's materialised path)."""
    return [path[:end] for end in range(Page.steplen, len(path) + 1, Page.steplen)]


def _email_page_paths(sites):
    """``{site id: path of its Invoice emails page}``, the page ``services.roles`` gives roles on:
    the first below the site's root page in the page tree's order. One query for all the websites."""
    roots = {site.pk: site.root_page.path for site in sites}
    if not roots:
        return {}
    below_a_root = Q()
    for root_path in set(roots.values()):
        below_a_root |= Q(path__startswith=root_path)
    paths = InvoiceEmailTemplatePage.objects.filter(below_a_root).order_by("path").values_list("path", flat=True)
    email_pages = {}
    for path in paths:
        for site_id, root_path in roots.items():
            if path.startswith(root_path):
                email_pages.setdefault(site_id, path)
    return email_pages


def _page_permissions(email_pages, groups):
    """``{site id: {group id: page permission codenames}}`` held on each website's Invoice emails
    page or one of its ancestors."""
    site_ids_by_path = {}
    for site_id, path in email_pages.items():
        for ancestor in _ancestor_paths(path):
            site_ids_by_path.setdefault(ancestor, []).append(site_id)
    held = GroupPagePermission.objects.filter(page__path__in=site_ids_by_path, group__in=groups)
    by_site = {}
    for group_id, path, codename in held.values_list("group_id", "page__path", "permission__codename"):
        for site_id in site_ids_by_path[path]:
            by_site.setdefault(site_id, {}).setdefault(group_id, set()).add(codename)
    return by_site


def _website_access(sites, groups, with_members=True):
    """``WebsiteAccess`` of each of ``sites`` (with their root pages), among ``groups`` (a queryset)."""
    sites = list(sites)
    grants = {}
    for group_id, site_id in SiteBillingAccess.objects.filter(site__in=sites, group__in=groups).values_list(
        "group_id", "site_id"
    ):
        grants.setdefault(site_id, set()).add(group_id)
    page_permissions = _page_permissions(_email_page_paths(sites), groups)
    group_ids = set().union(*grants.values(), *(held.keys() for held in page_permissions.values()))

    related = [Prefetch("permissions", queryset=Permission.objects.select_related("content_type"))]
    if with_members:
        members = get_user_model().objects.filter(is_active=True).order_by(get_user_model().USERNAME_FIELD)
        related.append(Prefetch("user_set", queryset=members))
    found = Group.objects.filter(pk__in=group_ids).select_related("billing_role__site").prefetch_related(*related)
    held_by_group = {}
    for group in found.order_by("name"):
        permissions = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        held_by_group[group.pk] = (group, permissions)

    superusers = tuple(
        get_user_model().objects.filter(is_superuser=True, is_active=True).order_by(get_user_model().USERNAME_FIELD)
        if with_members
        else ()
    )
    result = []
    for site in sites:
        granting, on_page = grants.get(site.pk, set()), page_permissions.get(site.pk, {})
        rows = []
        for group_id, (group, permissions) in held_by_group.items():
            if group_id not in granting and group_id not in on_page:
                continue
            capabilities = frozenset(
                capability
                for capability in CAPABILITIES
                if _holds(capability, permissions, group_id in granting, on_page.get(group_id, ()))
            )
            rows.append(
                GroupCapabilities(
                    group=group,
                    site_role=getattr(group, "billing_role", None),
                    members=tuple(group.user_set.all()) if with_members else (),
                    capabilities=capabilities,
                )
            )
        result.append(WebsiteAccess(site=site, groups=tuple(rows), superusers=superusers))
    return result


def _ordered(sites):
    return sites.select_related("root_page").order_by("site_name", "hostname", "port")


def websites_access(sites=None):
    """Who can do what on each of ``sites`` (a queryset of Sites; every website by default)."""
    sites = Site.objects.all() if sites is None else sites
    return _website_access(_ordered(sites), Group.objects.all())


def user_access(user):
    """What ``user`` may do on each website where they may do something, through their groups."""
    if user is None or not user.is_active or not user.is_authenticated:
        return UserAccess(superuser=False, websites=())
    if user.is_superuser:
        return UserAccess(superuser=True, websites=())
    websites = []
    for website in _website_access(_ordered(Site.objects.all()), user.groups.all(), with_members=False):
        held = frozenset().union(*(row.capabilities for row in website.groups))
        if held:
            websites.append(
                UserWebsiteAccess(
                    site=website.site,
                    capabilities=tuple(capability for capability in CAPABILITIES if capability in held),
                    groups=tuple(row.group for row in website.groups if row.capabilities),
                )
            )
    return UserAccess(superuser=False, websites=tuple(websites))
