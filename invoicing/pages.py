"""The two Wagtail pages of the module: the per-site pay page and the per-site email template
page, which also carries the site's branding."""

import logging
import re
from functools import wraps
from html import unescape

from django.core.validators import RegexValidator
from django.db import models
from django.http import Http404
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.rich_text import expand_db_html

from .documents import Branding
from .exceptions import PaymentLinkInvalid, PaymentLinkUnusable
from .http import download_response, protect_token_response

logger = logging.getLogger(__name__)


def rich_text_to_plain(html):
    """Paragraphs become lines; tags and entities go."""
    text = re.sub(r"</p>|<br\s*/?>", "\n", expand_db_html(html or ""))
    return unescape(strip_tags(text)).strip()


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

    def as_branding(self):
        """The branding as plain data for documents (the PDF knows no pages or images)."""
        return Branding(
            brand_color=self.brand_color,
            accent_color=self.accent_color,
            logo_path=self.logo_file_path(),
            footer=rich_text_to_plain(self.footer),
        )

    def logo_file_path(self):
        if self.logo is None:
            return None
        rendition = self.logo.get_rendition("max-600x180|format-png")
        try:
            return rendition.file.path
        except NotImplementedError:  # remote storage: documents go without the logo
            logger.warning("The logo of %s is not on local storage; PDFs are made without it", self)
            return None

    @classmethod
    def for_site(cls, site):
        """The published template page of ``site``; drafts are never used."""
        return cls.objects.live().descendant_of(site.root_page, inclusive=True).select_related("logo").first()


def opens_invoice(view):
    """A pay-page route that opens the invoice of the ``token`` in its URL, on this page's site.

    A token that opens nothing here answers 404, whatever the reason; an expired, revoked or
    replaced one gets the recovery page. Every answer gets the token pages' protective headers.
    """

    @wraps(view)
    def wrapper(page, request, token):
        # Imported here: the services import the models, which import this module.
        from .services.tokens import resolve_payment_link

        site = page.get_site()
        try:
            invoice = resolve_payment_link(token, site=site)
        except PaymentLinkInvalid:
            logger.info("Unknown payment link on site %s from %s", site.pk, request.META.get("REMOTE_ADDR"))
            raise Http404 from None
        except PaymentLinkUnusable as error:
            return protect_token_response(page.render_unusable_link(request, error))
        return protect_token_response(view(page, request, invoice, token))

    return wrapper


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

    def render_unusable_link(self, request, error):
        logger.info("Unusable payment link %s for invoice %s: %s", error.link.pk, error.link.invoice_id, error.message)
        response = self.render(
            request,
            template="invoicing/pay/link_unusable.html",
            context_overrides={"reason": error.message, "branding": InvoiceEmailTemplatePage.for_site(self.get_site())},
        )
        response.status_code = 410
        return response

    @path("invoice/<str:token>/", name="invoice")
    @opens_invoice
    def invoice(self, request, invoice, token):
        return self.render(
            request,
            template="invoicing/pay/invoice.html",
            context_overrides={
                "invoice": invoice,
                "lines": invoice.lines.all(),
                "branding": InvoiceEmailTemplatePage.for_site(invoice.site),
                "token": token,
            },
        )

    @path("invoice/<str:token>/pdf/", name="invoice_pdf")
    @opens_invoice
    def invoice_pdf(self, request, invoice, token):
        from .services import documents, tokens  # see opens_invoice

        content = documents.invoice_pdf(invoice, pay_url=tokens.pay_link_url(invoice.site, token))
        return download_response(content, documents.pdf_filename(invoice))

    @path("invoice/<str:token>/receipt/pdf/", name="receipt_pdf")
    @opens_invoice
    def receipt_pdf(self, request, invoice, token):
        from .services import documents  # see opens_invoice

        if invoice.payment is None:
            raise Http404
        return download_response(documents.receipt_pdf(invoice.payment), documents.pdf_filename(invoice, receipt=True))
