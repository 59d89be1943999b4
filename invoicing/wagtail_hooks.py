"""Registers the module's admin: snippet viewsets, bulk actions and listing buttons.
The views themselves live in ``invoicing.admin``; every change they make goes through the services."""

from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail_modeladmin.options import modeladmin_register

from .admin.access import BillingSitePermissionPolicy, SiteScopedDeleteBulkAction
from .admin.actions import available_actions
from .admin.bulk_actions import INVOICE_BULK_ACTIONS
from .admin.client_bulk_actions import SendSignInLinksBulkAction
from .admin.clients import SIGN_IN_LINK_SENT, ClientViewSet, SignInLinkSentFormatter
from .admin.credit_notes import CreditNoteViewSet
from .admin.dashboard import add_billing_panel
from .admin.discount_codes import DiscountCodeViewSet
from .admin.emails import OutboundEmailViewSet, ReadOnlyPermissionPolicy
from .admin.group_panel import BillingSitesForm
from .admin.invoice_templates import InvoiceTemplateViewSet
from .admin.invoices import DeleteDraftAction, InvoicePermissionPolicy, InvoiceViewSet
from .admin.jobs import BulkJobViewSet
from .admin.modeladmin import PaymentsLedger
from .admin.reports import billing_report_menu_item, billing_report_urls
from .admin.roles import BillingAccessPanel, roles_menu_item, roles_urls
from .admin.schedule_actions import SCHEDULE_ACTIONS
from .admin.schedules import RecurringScheduleViewSet
from .admin.site_history import install as flatten_the_site_historys_union
from .admin.stripe_events import StripeEventViewSet
from .admin.tax_rates import TaxRateViewSet, refuse_deleting_rates_in_use
from .models import (
    BillingLogEntry,
    BillingSettings,
    Client,
    CreditNote,
    Invoice,
    InvoiceTemplate,
    OutboundEmail,
    RecurringSchedule,
    StripeEvent,
)

register_permission_policy(OutboundEmail, ReadOnlyPermissionPolicy(OutboundEmail))
# Replaces the policy that @register_setting gave it: billing settings follow billing access too.
register_permission_policy(BillingSettings, BillingSitePermissionPolicy(BillingSettings))
register_permission_policy(Invoice, InvoicePermissionPolicy(Invoice))
register_snippet(InvoiceViewSet)
register_snippet(ClientViewSet)
register_snippet(InvoiceTemplateViewSet)
register_snippet(TaxRateViewSet)
hooks.register("before_delete_snippet", refuse_deleting_rates_in_use)
register_snippet(DiscountCodeViewSet)
register_snippet(RecurringScheduleViewSet)
register_snippet(OutboundEmailViewSet)
register_permission_policy(CreditNote, ReadOnlyPermissionPolicy(CreditNote))
register_snippet(CreditNoteViewSet)
register_permission_policy(StripeEvent, ReadOnlyPermissionPolicy(StripeEvent))
register_snippet(StripeEventViewSet)
for bulk_action in INVOICE_BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)
hooks.register("register_bulk_action", SendSignInLinksBulkAction)
hooks.register("register_admin_viewset", BulkJobViewSet)
modeladmin_register(PaymentsLedger)
# After Wagtail's own "delete" (order 0), so that this one replaces it for the site-scoped models.
hooks.register("register_bulk_action", SiteScopedDeleteBulkAction, order=1)
hooks.register("register_group_permission_panel", lambda: BillingSitesForm)
hooks.register("construct_homepage_panels", add_billing_panel)
hooks.register("register_admin_urls", billing_report_urls)
hooks.register("register_reports_menu_item", billing_report_menu_item)
# Who can do what: under Settings, and for oneself on the account page.
hooks.register("register_admin_urls", roles_urls)
hooks.register("register_settings_menu_item", roles_menu_item)
hooks.register("register_account_settings_panel", BillingAccessPanel)
flatten_the_site_historys_union()  # BillingLogEntry is a third log model (see admin/site_history.py)


@hooks.register("register_snippet_listing_buttons")
def invoice_buttons(snippet, user, next_url=None):
    if isinstance(snippet, Invoice):
        for priority, action in enumerate(available_actions(snippet, user, next_url=next_url), start=30):
            yield Button(action.label, action.url, icon_name=action.icon, priority=priority)


@hooks.register("register_log_actions")
def log_billing_per_website(actions):
    # Wagtail's history and site history of invoices and clients, narrowed to the user's websites.
    actions.register_model(Invoice, BillingLogEntry)
    actions.register_model(Client, BillingLogEntry)
    actions.register_model(InvoiceTemplate, BillingLogEntry)
    actions.register_model(RecurringSchedule, BillingLogEntry)
    for action in SCHEDULE_ACTIONS:
        actions.register_action(action.log_action, action.label, action.logged_as)
    # Sending a client a sign-in link, logged with the address it went to (never the token).
    actions.register_action(SIGN_IN_LINK_SENT)(SignInLinkSentFormatter)


@hooks.register("register_actions")
def delete_invoices_through_the_service(actions):
    actions.register(Invoice, DeleteDraftAction)

