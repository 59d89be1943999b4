"""The module's roles, declared once: what each may do on its website, as the "who can do what"
view lists it, and the permissions that grant it. ``services.roles`` builds the groups from this
table; the admin reads it back to say what a group's permissions amount to.

Billing permissions are model permissions of the ``invoicing`` app, written ``"codename"``, or
``"app_label.codename"`` for another app's. They count on the websites of the group that holds
them (``models.access``). Page permissions are Wagtail's, on the website's Invoice emails page."""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Billing clerk")
    MANAGER = "manager", _("Billing manager")
    MARKETING_EDITOR = "marketing_editor", _("Marketing editor")


@dataclass(frozen=True)
class Capability:
    label: Promise
    permissions: tuple = ()  # billing permissions, all needed
    page_permissions: tuple = ()  # Wagtail page permissions on the Invoice emails page, all needed


SEE = Capability(_("See invoices, clients and credit notes"), ("view_invoice", "view_client", "view_creditnote"))
DRAFTS = Capability(
    _("Create and edit draft invoices and clients"),
    ("add_invoice", "change_invoice", "add_client", "change_client"),
)
ISSUE_AND_SEND = Capability(_("Issue and send invoices, record manual payments"), ("change_invoice",))
DOCUMENTS = Capability(_("Download PDFs and e-invoices"), ("view_invoice",))
VOID = Capability(_("Void invoices"), ("void_invoice",))
WRITE_OFF = Capability(_("Write off invoices"), ("write_off_invoice",))
CREDIT = Capability(_("Issue credit notes and refunds"), ("credit_invoice",))
LEDGER = Capability(_("Read the payments ledger"), ("view_payment",))
STRIPE_EVENTS = Capability(_("Read and replay Stripe events"), ("view_stripeevent", "replay_stripeevent"))
REPORTS = Capability(_("Read reports and export"), ("report_invoice",))
SETTINGS = Capability(_("Change Settings → Billing"), ("change_billingsettings",))
EMAIL_EDIT = Capability(_("Edit and preview the invoice emails"), page_permissions=("change_page",))
EMAIL_PUBLISH = Capability(_("Publish the invoice emails"), page_permissions=("publish_page",))

CAPABILITIES = (
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
)

ACCESS_ADMIN = "wagtailadmin.access_admin"

# What a clerk needs beyond the capabilities' permissions to do its work: apply tax rates and
# discount codes, keep invoice templates and recurring schedules, follow the emails sent.
CLERK_SUPPORT = (
    "view_taxrate",
    "view_discountcode",
    "add_invoicetemplate",
    "change_invoicetemplate",
    "view_invoicetemplate",
    "add_recurringschedule",
    "change_recurringschedule",
    "view_recurringschedule",
    "view_outboundemail",
)


@dataclass(frozen=True)
class RoleDefinition:
    role: Role
    billing: bool  # billing access to the website (``SiteBillingAccess``)
    permissions: tuple  # model permissions; "invoicing.*" is every permission of the app
    page_permissions: tuple = ()
    collection_permissions: tuple = ()  # image permissions on the root collection


def _permissions_of(*capabilities):
    return tuple(dict.fromkeys(name for capability in capabilities for name in capability.permissions))


def _page_permissions_of(*capabilities):
    return tuple(dict.fromkeys(name for capability in capabilities for name in capability.page_permissions))


CLERK_CAPABILITIES = (SEE, DRAFTS, ISSUE_AND_SEND, DOCUMENTS)
EDITOR_CAPABILITIES = (EMAIL_EDIT, EMAIL_PUBLISH)

ROLES = {
    definition.role: definition
    for definition in (
        RoleDefinition(Role.CLERK, True, (ACCESS_ADMIN, *_permissions_of(*CLERK_CAPABILITIES), *CLERK_SUPPORT)),
        # Everything of billing: every permission of the app, those of future versions included.
        RoleDefinition(Role.MANAGER, True, (ACCESS_ADMIN, "invoicing.*")),
        RoleDefinition(
            Role.MARKETING_EDITOR,
            False,
            (ACCESS_ADMIN,),
            _page_permissions_of(*EDITOR_CAPABILITIES),
            # The logo is an image: choosing one, or uploading a new one, is part of the branding.
            ("wagtailimages.add_image", "wagtailimages.choose_image"),
        ),
    )
}
