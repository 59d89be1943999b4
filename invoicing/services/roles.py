"""The module's roles as Wagtail groups, one per role and website (``core.roles`` says what each
holds). Idempotent: a group that exists is found again through its ``SiteRole``, however it was
renamed, and only what it lacks is put back; what an admin added is left alone."""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from ..core.roles import ROLES
from ..models import InvoiceEmailTemplatePage, SiteBillingAccess, SiteRole


@dataclass
class RoleGroup:
    """What ``ensure_roles`` did to one role's group: made it, or put back what it lacked."""

    site_role: SiteRole
    created: bool = False
    restored: list = field(default_factory=list)  # what was missing, for people
    problems: list = field(default_factory=list)  # what could not be given, for people

    @property
    def group(self):
        return self.site_role.group


def site_label(site):
    return site.site_name or site.hostname


def permissions_named(names):
    """The permissions ``names`` stand for: ``"codename"`` of the invoicing app, ``"app.codename"``
    of another, ``"app.*"`` for all of an app's."""
    query = Q(pk__in=[])
    for name in names:
        app_label, _dot, codename = name.rpartition(".")
        matching = Q(content_type__app_label=app_label or "invoicing")
        if codename != "*":
            matching &= Q(codename=codename)
        query |= matching
    return Permission.objects.filter(query).select_related("content_type")


def _group_name(site, role):
    base = f"{site_label(site)} · {role.label}"[:140]
    name, number = base, 1
    while Group.objects.filter(name=name).exists():
        number += 1
        name = f"{base} ({number})"
    return name


def _ensure(result, exists, create, description):
    if not exists:
        create()
        if not result.created:
            result.restored.append(description)


def _ensure_role(site, definition, email_page):
    site_role = SiteRole.objects.filter(site=site, role=definition.role).select_related("group").first()
    result = RoleGroup(site_role=site_role)
    if site_role is None:
        group = Group.objects.create(name=_group_name(site, definition.role))
        result = RoleGroup(
            site_role=SiteRole.objects.create(site=site, role=definition.role, group=group), created=True
        )
    group = result.group

    missing = permissions_named(definition.permissions).exclude(group=group)
    if not result.created:
        result.restored += [str(permission) for permission in missing]
    group.permissions.add(*missing)

    if definition.billing:
        _ensure(
            result,
            SiteBillingAccess.objects.filter(group=group, site=site).exists(),
            lambda: SiteBillingAccess.objects.create(group=group, site=site),
            _("billing access to %(site)s") % {"site": site_label(site)},
        )
    if definition.page_permissions and email_page is None:
        result.problems.append(
            _("%(site)s has no Invoice emails page: run invoicing_setup_site first.") % {"site": site_label(site)}
        )
    elif definition.page_permissions:
        for permission in permissions_named(f"wagtailcore.{name}" for name in definition.page_permissions):
            _ensure(
                result,
                GroupPagePermission.objects.filter(group=group, page=email_page, permission=permission).exists(),
                lambda permission=permission: GroupPagePermission.objects.create(
                    group=group, page=email_page, permission=permission
                ),
                _("%(permission)s on the page “%(page)s”") % {"permission": permission.name, "page": email_page.title},
            )
    root = Collection.get_first_root_node()
    if definition.collection_permissions and root is None:
        result.problems.append(_("There is no root collection of images: the logo cannot be chosen."))
        return result
    for permission in permissions_named(definition.collection_permissions):
        _ensure(
            result,
            GroupCollectionPermission.objects.filter(group=group, collection=root, permission=permission).exists(),
            lambda permission=permission: GroupCollectionPermission.objects.create(
                group=group, collection=root, permission=permission
            ),
            _("%(permission)s in the collection “%(collection)s”")
            % {"permission": permission.name, "collection": root.name},
        )
    return result


def ensure_roles(site):
    """The Billing clerk, Billing manager and Marketing editor groups of ``site``, made or completed."""
    email_page = InvoiceEmailTemplatePage.objects.descendant_of(site.root_page, inclusive=True).first()
    with transaction.atomic():
        return [_ensure_role(site, definition, email_page) for definition in ROLES.values()]
