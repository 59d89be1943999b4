"""Who can do what, read-only: under Settings, per website whose billing settings the user may
change, each group with its role, its members and what it may do there; on the user's account
page, what they themselves may do on each website. ``services.role_overview`` works it out."""

from functools import cached_property

from django import forms
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.account import BaseSettingsPanel, SettingsTab
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from ..core.roles import CAPABILITIES
from ..models.access import holds_anywhere, sites_granting
from ..services.role_overview import user_access, websites_access

ROLES_URL_NAME = "invoicing_roles"
# Whoever may change a website's billing settings may see who can do what there.
OVERVIEW_PERMISSION = "invoicing.change_billingsettings"


def overview_sites(user):
    """The websites whose roles ``user`` may see: every one for superusers."""
    return sites_granting(user, OVERVIEW_PERMISSION)


def may_see_overview(user):
    return holds_anywhere(user, OVERVIEW_PERMISSION)


class RoleOverviewView(WagtailAdminTemplateMixin, TemplateView):
    page_title = _("Who can do what")
    header_icon = "group"
    template_name = "invoicing/admin/roles.html"

    def dispatch(self, request, *args, **kwargs):
        if not may_see_overview(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*super().get_breadcrumbs_items(), {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            websites=websites_access(overview_sites(user)),
            capabilities=CAPABILITIES,
            may_edit_groups=user.has_perm("auth.change_group"),
            **kwargs,
        )


class RoleOverviewMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_overview(request.user)


def roles_menu_item():
    # Next to Wagtail's Groups (order 601), whose edit pages the view links to.
    return RoleOverviewMenuItem(
        _("Who can do what"), reverse(ROLES_URL_NAME), name="invoicing-roles", icon_name="group", order=602
    )


def roles_urls():
    return [path("invoicing/roles/", RoleOverviewView.as_view(), name=ROLES_URL_NAME)]


billing_tab = SettingsTab("billing", _("Billing"), order=300)


class BillingAccessPanel(BaseSettingsPanel):
    """A read-only panel of the account page: it has a form, as Wagtail's account view expects of
    every panel, but one without fields, never bound, so saving the page leaves it alone."""

    name = "invoicing_billing_access"
    title = _("Your billing access")
    tab = billing_tab
    order = 100
    template_name = "invoicing/admin/roles_account_panel.html"

    def get_form(self):
        return forms.Form(prefix=self.name)

    @cached_property
    def access(self):
        return user_access(self.user)

    def is_active(self):
        return self.access.superuser or bool(self.access.websites)

    def get_context_data(self):
        return {"access": self.access}
