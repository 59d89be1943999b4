"""The Wagtail pages of the module, one of each per website: the pay page, the client's billing
account page, and the email template page, which also carries the site's branding and the
wording of invoice emails."""

import logging
from dataclasses import dataclass
from importlib import import_module

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.http import Http404, HttpResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.fields import RichTextField
from wagtail.images.models import Filter, SourceImageIOError
from wagtail.models import Page

from ..conf import invoicing_settings
from ..core.reminder_steps import REMINDER_STEPS, STEPS_BY_KEY
from ..mail.kinds import KINDS_WITH_PAY_LINK, EmailKind
from ..mail.placeholders import allowed_placeholders, unknown_placeholders
from ..mail.sanitize import rich_text_to_plain, sanitize_rich_text
from ..pdf.document import Branding
from .email_preview import preview_email

logger = logging.getLogger(__name__)

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour such as #1d4ed8."))
LOGO_FILTER = "max-600x180|format-png"
PAGE_LOGO_FILTER = "height-48"
BODY_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul"]
PLACEHOLDER_HELP = _(
    "Placeholders: {client_name}, {invoice_number}, {amount}, {amount_due}, {currency}, {due_date}, "
    "{title}, {description}, {website_name}, {pay_link}."
)


def subject_field(default):
    return models.CharField(_("subject"), max_length=200, default=default, help_text=PLACEHOLDER_HELP)


def preheader_field(default):
    return models.CharField(
        _("preheader"),
        max_length=200,
        blank=True,
        default=default,
        help_text=_("The preview line that inboxes show after the subject."),
    )


def body_field(default):
    return RichTextField(_("body"), features=BODY_FEATURES, default=default, help_text=PLACEHOLDER_HELP)


def button_field(default):
    return models.CharField(
        _("pay-button label"),
        max_length=60,
        default=default,
        help_text=_("The button and the link under it are always added to the email."),
    )


def step_subject_field():
    return models.CharField(
        _("subject"),
        max_length=200,
        blank=True,
        help_text=_("Empty: the Reminder tab's subject. ") + PLACEHOLDER_HELP,
    )


def step_body_field():
    return RichTextField(
        _("body"),
        features=BODY_FEATURES,
        blank=True,
        help_text=_("Empty: the Reminder tab's body. ") + PLACEHOLDER_HELP,
    )


@dataclass(frozen=True)
class Wording:
    subject: str
    preheader: str
    body: str
    button_label: str = ""


class InvoiceEmailTemplatePage(Page):
    """One per website, edited by marketing: the branding of invoice emails, the PDF and the pay
    page, and the wording of each email kind. It is never served to the public; editors see it
    through Wagtail's preview, one mode per email kind."""

    logo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    brand_color = models.CharField(_("brand colour"), max_length=7, default="#1d4ed8", validators=[hex_colour])
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#f59e0b", validators=[hex_colour])
    footer = RichTextField(_("footer"), blank=True, features=["bold", "italic", "link"])
    sender_name = models.CharField(
        _("sender display name"),
        max_length=100,
        blank=True,
        help_text=_("Shown as the sender in inboxes; the billing settings' sender name when empty."),
    )

    invoice_subject = subject_field("Invoice {invoice_number} from {website_name}")
    invoice_preheader = preheader_field("{amount_due} due by {due_date}")
    invoice_body = body_field("<p>Hello {client_name},</p><p>Please find attached invoice {invoice_number}.</p>")
    invoice_button_label = button_field("View and pay")
    reminder_subject = subject_field("Reminder: invoice {invoice_number} is due")
    reminder_preheader = preheader_field("{amount_due} is still open")
    reminder_body = body_field(
        "<p>Hello {client_name},</p><p>Invoice {invoice_number} still has {amount_due} to pay.</p>"
    )
    reminder_button_label = button_field("Pay now")
    # Each reminder step's own wording (core.reminder_steps); empty parts fall back to the above.
    reminder_before_7_subject = step_subject_field()
    reminder_before_7_body = step_body_field()
    reminder_before_3_subject = step_subject_field()
    reminder_before_3_body = step_body_field()
    reminder_on_due_subject = step_subject_field()
    reminder_on_due_body = step_body_field()
    reminder_after_1_subject = step_subject_field()
    reminder_after_1_body = step_body_field()
    reminder_after_7_subject = step_subject_field()
    reminder_after_7_body = step_body_field()
    reminder_after_14_subject = step_subject_field()
    reminder_after_14_body = step_body_field()
    reminder_after_30_subject = step_subject_field()
    reminder_after_30_body = step_body_field()
    receipt_subject = subject_field("Receipt for invoice {invoice_number}")
    receipt_preheader = preheader_field("Thank you for your payment")
    receipt_body = body_field("<p>Hello {client_name},</p><p>Thank you: we have received your payment.</p>")
    charge_failed_subject = subject_field("We could not charge your card for invoice {invoice_number}")
    charge_failed_preheader = preheader_field("{amount_due} is still open")
    charge_failed_body = body_field(
        "<p>Hello {client_name},</p><p>We tried to charge your saved card for invoice {invoice_number}, "
        "and it did not go through: {failure_reason}</p><p>Please pay with the link below.</p>"
    )
    charge_failed_button_label = button_field("Pay now")

    branding_panels = [
        FieldPanel("title"),
        MultiFieldPanel(
            [FieldPanel("logo"), FieldPanel("brand_color"), FieldPanel("accent_color"), FieldPanel("footer")],
            heading=_("Branding"),
        ),
        FieldPanel("sender_name"),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(branding_panels, heading=_("Branding")),
            *(
                ObjectList(
                    [
                        FieldPanel(f"{kind.value}_{part}")
                        for part in ("subject", "preheader", "body", "button_label")
                        if part != "button_label" or kind in KINDS_WITH_PAY_LINK
                    ],
                    heading=kind.label,
                )
                for kind in EmailKind
            ),
            ObjectList(
                [
                    MultiFieldPanel(
                        [FieldPanel(f"reminder_{step.key}_subject"), FieldPanel(f"reminder_{step.key}_body")],
                        heading=step.label,
                    )
                    for step in REMINDER_STEPS
                ],
                heading=_("Reminder steps"),
            ),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
        ]
    )

    max_count_per_parent = 1
    subpage_types = []

    class Meta:
        verbose_name = _("invoice email template")

    def serve(self, request, *args, **kwargs):
        raise Http404

    def wording(self, kind, step=None):
        """The wording of ``kind``; a reminder ``step`` of the catalogue uses its own subject and body
        where they are filled in (a repeat, or an empty part, falls back to the reminder's)."""
        kind = EmailKind(kind)
        own = f"reminder_{step}" if kind == EmailKind.REMINDER and step in STEPS_BY_KEY else kind.value
        body = getattr(self, f"{own}_body")
        return Wording(
            subject=getattr(self, f"{own}_subject") or getattr(self, f"{kind.value}_subject"),
            preheader=getattr(self, f"{kind.value}_preheader"),
            body=body if rich_text_to_plain(body).strip() else getattr(self, f"{kind.value}_body"),
            button_label=getattr(self, f"{kind.value}_button_label", ""),
        )

    def worded_fields(self):
        """(field name, placeholders allowed) of every part of every email's wording."""
        for kind in EmailKind:
            for part in ("subject", "preheader", "body", "button_label"):
                if hasattr(self, f"{kind.value}_{part}"):
                    yield f"{kind.value}_{part}", allowed_placeholders(kind)
        for step in REMINDER_STEPS:
            for part in ("subject", "body"):
                yield f"reminder_{step.key}_{part}", allowed_placeholders(EmailKind.REMINDER)

    def clean(self):
        super().clean()
        errors = {}
        for field, allowed in self.worded_fields():
            text = getattr(self, field)
            # A body is checked as the email will use it: sanitising decodes entities, so
            # "&#123;% now 'Y' %&#125;" becomes "{% now 'Y' %}" there.
            unknown = unknown_placeholders(sanitize_rich_text(text) if field.endswith("_body") else text, allowed)
            if unknown:
                message = _("Unknown placeholder: %(names)s. Use only: %(allowed)s.")
                if unknown != unknown_placeholders(text, allowed):
                    message = _(
                        "Unknown placeholder: %(names)s (braces written as HTML entities count too). "
                        "Use only: %(allowed)s."
                    )
                errors[field] = message % {
                    "names": ", ".join(unknown),
                    "allowed": ", ".join(f"{{{name}}}" for name in sorted(allowed)),
                }
        if errors:
            raise ValidationError(errors)

    # Previews: the real email, for a sample invoice of this page's site; nothing is saved.
    # A reminder step's mode is "reminder:<step>".
    preview_modes = [(kind.value, kind.label) for kind in EmailKind] + [
        (f"{EmailKind.REMINDER.value}:{step.key}", format_lazy("{}: {}", EmailKind.REMINDER.label, step.label))
        for step in REMINDER_STEPS
    ]

    def serve_preview(self, request, mode_name):
        kind, _colon, step = mode_name.partition(":")
        if kind not in EmailKind.values or (step and (kind != EmailKind.REMINDER or step not in STEPS_BY_KEY)):
            raise Http404
        return HttpResponse(preview_email(self, EmailKind(kind), site=self.get_site(), step=step or None).html)

    def as_branding(self):
        """The branding as plain data for documents (the PDF knows no pages or images)."""
        return Branding(
            brand_color=self.brand_color,
            accent_color=self.accent_color,
            logo_path=self.logo_file_path(),
            footer=rich_text_to_plain(self.footer),
        )

    def logo_rendition(self, *, create=True):
        """The logo at email and PDF size; ``create=False`` never writes (a preview), so it may
        fall back to the original image."""
        if self.logo is None:
            return None
        if create:
            return self.logo.get_rendition(LOGO_FILTER)
        try:
            return self.logo.find_existing_rendition(Filter(LOGO_FILTER))
        except self.logo.get_rendition_model().DoesNotExist:
            return None

    def page_logo(self):
        """The logo's rendition for the client pages' header, or ``None``."""
        if self.logo is None:
            return None
        try:
            return self.logo.get_rendition(PAGE_LOGO_FILTER)
        except SourceImageIOError:
            logger.warning("The logo of %s is missing from storage; the pages go without it", self)
            return None

    def logo_url(self, site, *, create=True):
        """An absolute URL, as emails need, on the site's own host."""
        if self.logo is None:
            return None
        rendition = self.logo_rendition(create=create)
        url = rendition.url if rendition else self.logo.file.url
        return url if url.startswith(("http://", "https://")) else site.root_url + url

    def logo_file_path(self):
        rendition = self.logo_rendition()
        if rendition is None:
            return None
        try:
            return rendition.file.path
        except NotImplementedError:  # remote storage: documents go without the logo
            logger.warning("The logo of %s is not on local storage; PDFs are made without it", self)
            return None

    @classmethod
    def for_site(cls, site):
        """The published template page of ``site``; drafts are never used."""
        return cls.objects.live().descendant_of(site.root_page, inclusive=True).select_related("logo").first()


class ClientPage(RoutablePageMixin):
    """What the pages that clients open share: routes from the URLconf named by ``routes`` (views
    that get the page first, as its own methods would, so that no page model imports a view), and
    the website's branding from its front."""

    routes = ""
    # The website's front (``services.fronts``: its Site, branding and billing settings, cached),
    # which the client routes attach before anything renders (``pay.guards``).
    front = None

    @classmethod
    def get_subpage_urls(cls):
        return tuple(import_module(cls.routes).urlpatterns)

    def get_context(self, request, *args, **kwargs):
        return {
            **super().get_context(request, *args, **kwargs),
            "site": self.front.site,
            "branding": self.front.branding,
            "logo": self.front.logo,
            "pay_base_template": invoicing_settings.INVOICING_PAY_BASE_TEMPLATE,
        }

    def path_on(self, site):
        """The page's path on ``site`` (``/pay/``), from the site's root: without Wagtail's lookup of
        every site's root (a cache read, and a query on a miss), and right for each Site of a
        page tree that several share."""
        return "/" + self.url_path[len(site.root_page.url_path) :]

    def relative_url(self, current_site, request=None):
        if current_site is not None and self.url_path.startswith(current_site.root_page.url_path):
            return self.path_on(current_site)
        return super().relative_url(current_site, request)

    def route_url(self, name, *args):
        """A route's path on the request's own website."""
        return self.path_on(self.front.site) + self.reverse_subpage(name, args=args)

    def full_route_url(self, site, name, *args):
        """Absolute, on ``site``'s own host (never a request's Host header), as emails need it."""
        return site.root_url + self.path_on(site) + self.reverse_subpage(name, args=args)


class PayPage(ClientPage, Page):
    """Where clients land from their email: ``invoice/<token>/`` shows one invoice and takes its
    payment (``invoicing.pay.routes``)."""

    routes = "invoicing.pay.routes"

    help_text = RichTextField(_("help text"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("help_text")]

    max_count_per_parent = 1
    subpage_types = []

    class Meta:
        verbose_name = _("pay page")

    def get_view_restrictions(self):
        """The front's copy where a token route attached it (``pay.routing``), else Wagtail's query."""
        if self.front is not None:
            return self.front.pay_page_restrictions
        return super().get_view_restrictions()


class BillingAccountPage(ClientPage, Page):
    """A client's own billing account on this website, behind a one-time sign-in link emailed to
    the address on file: every invoice, receipt, PDF and statement of theirs here
    (``invoicing.pay.account.routes``)."""

    routes = "invoicing.pay.account.routes"

    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["bold", "italic", "link"],
        help_text=_("Shown above the sign-in form."),
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]

    max_count_per_parent = 1
    subpage_types = []

    class Meta:
        verbose_name = _("billing account page")

    @classmethod
    def for_site(cls, site):
        return cls.objects.live().descendant_of(site.root_page, inclusive=True).first()
