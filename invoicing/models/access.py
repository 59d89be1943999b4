"""Who may bill for which website. Wagtail is not multi-tenant, so every admin view, chooser,
export, bulk action, API call and statistic narrows its queryset here. Superusers see every site;
other staff see the sites that one of their groups was granted (``SiteBillingAccess``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import Site

from ..core.roles import Role


class SiteBillingAccess(models.Model):
    """Grants the members of a group billing access to one website: its invoices, clients,
    payments, events, exports and statistics. Edited on Wagtail's group page."""

    group = models.ForeignKey("auth.Group", on_delete=models.CASCADE, related_name="billing_site_access")
    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="billing_group_access")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "site"], name="invoicing_unique_billing_access"),
        ]
        verbose_name = _("billing access to a website")
        verbose_name_plural = _("billing access to websites")

    def __str__(self):
        return f"{self.group} → {self.site}"


class SiteRole(models.Model):
    """The group that holds one of the module's roles for one website, so that ``invoicing_roles``
    finds it again however an admin renames or adjusts it."""

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="billing_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    group = models.OneToOneField("auth.Group", on_delete=models.CASCADE, related_name="billing_role")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "role"], name="invoicing_one_group_per_site_role")]
        verbose_name = _("website role")
        verbose_name_plural = _("website roles")

    def __str__(self):
        return f"{self.get_role_display()} · {self.site}"


def _granted_site_ids(user):
    return SiteBillingAccess.objects.filter(group__user=user).values("site_id")


def billing_sites(user):
    """The websites whose billing ``user`` may see and act on, as a queryset."""
    if user is None or not user.is_active or not user.is_authenticated:
        return Site.objects.none()
    if user.is_superuser:
        return Site.objects.all()
    return Site.objects.filter(pk__in=_granted_site_ids(user))


def _signed_in(user):
    return user is not None and user.is_active and user.is_authenticated


def site_ids_holding(user, permission):
    """The ids of the websites where ``user`` (not a superuser) holds ``permission``
    (``"invoicing.void_invoice"``): a billing permission counts on the websites that the group
    holding it grants, and nowhere else. So a clerk of one website who manages another may void
    there, not here. One query for all of the user's permissions, kept on the user object (a
    request's) as Django keeps its own, so that a listing checks its rows with no query per row."""
    held = user.__dict__.get("_billing_site_ids_by_permission")
    if held is None:
        held = {}
        granted = SiteBillingAccess.objects.filter(group__user=user, group__permissions__isnull=False)
        for site_id, app_label, codename in granted.values_list(
            "site_id", "group__permissions__content_type__app_label", "group__permissions__codename"
        ):
            held.setdefault(f"{app_label}.{codename}", set()).add(site_id)
        user.__dict__["_billing_site_ids_by_permission"] = held
    return held.get(permission, frozenset())


def sites_granting(user, permission):
    """The websites where ``user`` holds ``permission`` (``site_ids_holding``); every site for superusers."""
    if not _signed_in(user):
        return Site.objects.none()
    if user.is_superuser:
        return Site.objects.all()
    return Site.objects.filter(pk__in=site_ids_holding(user, permission))


def holds_anywhere(user, permission):
    """Whether ``user`` holds ``permission`` on some website (a menu item's question): no query
    beyond ``site_ids_holding``'s one."""
    return _signed_in(user) and (user.is_superuser or bool(site_ids_holding(user, permission)))


def has_site_permission(user, permission, site):
    """Whether ``user`` holds one of ``permission`` (a name, or several) on ``site`` (a Site or its
    id); a record of no website (``None``) is for superusers only."""
    if not _signed_in(user):
        return False
    if user.is_superuser:
        return True
    site_id = getattr(site, "pk", site)
    permissions = [permission] if isinstance(permission, str) else permission
    return site_id is not None and any(site_id in site_ids_holding(user, name) for name in permissions)


def scope_to_user(queryset, user, site_lookup="site"):
    """``queryset`` narrowed to the rows of ``user``'s websites; ``site_lookup`` leads from the
    model to its Site (``"invoice__site"`` for payments). One subquery: no extra round trip."""
    if user is not None and user.is_active and user.is_superuser:
        return queryset
    if user is None or not user.is_active or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(**{f"{site_lookup}__in": _granted_site_ids(user)})


def may_bill_for(user, site):
    """Whether ``user`` may see and act on ``site``'s billing."""
    return billing_sites(user).filter(pk=getattr(site, "pk", site)).exists()


# The module's records reach their website directly, or through what they belong to.
SITE_LOOKUPS_BY_FIELD = {
    "site": "site",
    "invoice": "invoice__site",
    "client": "client__site",
    "payment": "payment__invoice__site",
}


def site_lookup_for(model):
    """The path from ``model`` to its Site (``"invoice__site"`` for a payment): the one its
    site-scoped admin viewset declares, else the module's own convention; ``None`` for a model
    that belongs to no website."""
    declared = getattr(getattr(model, "snippet_viewset", None), "site_lookup", None)
    if declared or model._meta.app_label != "invoicing":
        return declared
    fields = {field.name for field in model._meta.get_fields() if field.is_relation and field.concrete}
    return next((lookup for name, lookup in SITE_LOOKUPS_BY_FIELD.items() if name in fields), None)


def site_id_of(instance):
    """The id of the website ``instance`` belongs to, through its model's site lookup; ``None``
    for a record of no website."""
    lookup = site_lookup_for(type(instance))
    if lookup is None:
        return None
    *path, last = lookup.split("__")
    for name in path:
        instance = getattr(instance, name, None)
        if instance is None:
            return None
    return getattr(instance, f"{last}_id", None)


def scope_choices(queryset, user):
    """A list of choices (a filter's, a form field's) narrowed to ``user``'s websites: websites
    themselves, or rows of a site-scoped model. Choices of other models are left alone."""
    if queryset.model is Site:
        return queryset.filter(pk__in=billing_sites(user).values("pk"))
    site_lookup = site_lookup_for(queryset.model)
    if site_lookup is None:
        return queryset
    return scope_to_user(queryset, user, site_lookup)
