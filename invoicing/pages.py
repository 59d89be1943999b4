"""The two Wagtail pages of the module: the per-site pay page and the per-site email template
page, which also carries the site's branding."""

import logging

from django.core.validators import RegexValidator
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from .exceptions import PaymentLinkInvalid, PaymentLinkUnusable
from .http import protect_token_response

logger = logging.getLogger(__name__)

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour such as #1d4ed8."))


class InvoiceEmailTemplatePage(Page):
    """One per website, edited by marketing: the branding (and, later, the wording) of invoice
    emails, the PDF and the pay page. It is never served to the public."""

    logo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    brand_color = models.CharField(_("brand colour"), max_length=7, default="#1d4ed8", validators=[hex_colour])
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#f59e0b", validators=[hex_colour])
    footer = RichTextField(_("footer"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("logo"), FieldPanel("brand_color"), FieldPanel("accent_color"), FieldPanel("footer")],
            heading=_("Branding"),
        ),
    ]

    max_count_per_parent = 1
    subpage_types = []

    class Meta:
        verbose_name = _("invoice email template")

    def serve(self, request, *args, **kwargs):
        raise Http404

    @classmethod
    def for_site(cls, site):
        """The published template page of ``site``; drafts are never used."""
        return cls.objects.live().descendant_of(site.root_page, inclusive=True).select_related("logo").first()


class PayPage(RoutablePageMixin, Page):
    """Where clients land from their email: ``invoice/<token>/`` shows one invoice."""

    help_text = RichTextField(_("help text"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("help_text")]

    max_count_per_parent = 1
    subpage_types = []

    class Meta:
        verbose_name = _("pay page")

    @path("")
    def index(self, request):
        # The pay page itself shows nothing: only a token opens an invoice.
        raise Http404

    @path("invoice/<str:token>/", name="invoice")
    def invoice(self, request, token):
        # Imported here: the services import the models, which import this module.
        from .services.tokens import resolve_payment_link

        site = self.get_site()
        try:
            invoice = resolve_payment_link(token, site=site)
        except PaymentLinkInvalid:
            logger.info("Unknown payment link on site %s from %s", site.pk, request.META.get("REMOTE_ADDR"))
            raise Http404 from None
        except PaymentLinkUnusable as exc:
            logger.info("Unusable payment link %s for invoice %s: %s", exc.link.pk, exc.link.invoice_id, exc.message)
            response = self.render(
                request,
                template="invoicing/pay/link_unusable.html",
                context_overrides={"reason": exc.message, "branding": InvoiceEmailTemplatePage.for_site(site)},
            )
            response.status_code = 410
            return protect_token_response(response)
        response = self.render(
            request,
            template="invoicing/pay/invoice.html",
            context_overrides={
                "invoice": invoice,
                "lines": invoice.lines.all(),
                "branding": InvoiceEmailTemplatePage.for_site(site),
            },
        )
        return protect_token_response(response)
