"""Per-website billing configuration, edited under Settings → Billing in the Wagtail admin."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .core.addresses import (
    city_field,
    compact_iban,
    country_field,
    electronic_address_field,
    postal_code_field,
    validate_bic,
    validate_iban,
)
from .core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS
from .core.number_format import validate_number_format, validate_number_prefix
from .core.reminder_steps import REMINDER_STEPS, STEPS_BY_KEY
from .core.tax import is_vat_id
from .core.totals import PER_LINE, PER_TOTAL

LOCALE_CHOICES = [
    ("en_US", "English (United States)"),
    ("en_GB", "English (United Kingdom)"),
    ("de_DE", "Deutsch (Deutschland)"),
    ("fr_FR", "Français (France)"),
    ("es_ES", "Español (España)"),
    ("it_IT", "Italiano (Italia)"),
    ("nl_NL", "Nederlands (Nederland)"),
    ("pl_PL", "Polski (Polska)"),
    ("el_GR", "Ελληνικά (Ελλάδα)"),
    ("tr_TR", "Türkçe (Türkiye)"),
    ("ja_JP", "日本語 (日本)"),
]
PAPER_SIZES = [("A4", "A4"), ("LETTER", _("US Letter"))]
TAX_ROUNDING_CHOICES = [(PER_TOTAL, _("Per total, once per rate")), (PER_LINE, _("Per line"))]
MAX_INSTALMENTS = 24


def validate_instalment_options(value):
    try:
        counts = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or any(not 2 <= count <= MAX_INSTALMENTS for count in counts):
        raise ValidationError(
            _("Give numbers of instalments from 2 to %(max)s, separated by commas."), params={"max": MAX_INSTALMENTS}
        )


LATE_CARD_PAYMENT_CHOICES = [
    ("credit", _("Keep it as the client's account credit")),
    ("refund", _("Refund it to the card")),
]


def reminder_step_field(key, *, default=False):
    return models.BooleanField(STEPS_BY_KEY[key].label, default=default)


@register_setting(icon="doc-full")
class BillingSettings(BaseSiteSetting):
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    postal_code = postal_code_field()
    city = city_field()
    country = country_field(_("ISO 3166 code, e.g. DE."))
    tax_id = models.CharField(_("tax id"), max_length=64, blank=True)
    legal_registration_id = models.CharField(
        _("company registration"),
        max_length=100,
        blank=True,
        help_text=_("E.g. “HRB 12345, Amtsgericht Berlin” or a SIREN number; printed in e-invoices."),
    )
    electronic_address = electronic_address_field(
        _("Your Peppol id as scheme:id, e.g. 9930:DE136695976. Blank: the sender email.")
    )
    einvoices_enabled = models.BooleanField(
        _("e-invoices"),
        default=False,
        help_text=_(
            "Embed the invoice as EN 16931 data (Factur-X / ZUGFeRD) in its PDF, and offer UBL (Peppol BIS 3) "
            "downloads. Needs the legal name, the address with its country and the VAT id."
        ),
    )
    iban = models.CharField(
        _("IBAN"), max_length=42, blank=True, validators=[validate_iban], help_text=_("For payment by bank transfer.")
    )
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    epc_qr_code = models.BooleanField(
        _("EPC QR code (GiroCode)"),
        default=True,
        help_text=_("On EUR invoice PDFs when an IBAN is set: a banking app scans it to fill in the transfer."),
    )
    swiss_qr_bill = models.BooleanField(
        _("Swiss QR-bill"),
        default=False,
        help_text=_("A QR-bill payment part on CHF and EUR invoice PDFs; needs a Swiss or Liechtenstein IBAN."),
    )

    default_currency = models.CharField(_("default currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    number_prefix = models.CharField(
        _("number prefix"),
        max_length=16,
        blank=True,
        validators=[validate_number_prefix],
        help_text=_("Letters, digits and dashes, e.g. ACME; none by default. Payment links read INV-{number}-…"),
    )
    number_format = models.CharField(
        _("number format"),
        max_length=64,
        default="{prefix}-{year}-{number:05}",
        validators=[validate_number_format],
        help_text=_("Placeholders: {prefix}, {year}, {number} or {number:05} for zero-padding."),
    )
    credit_note_number_format = models.CharField(
        _("credit note number format"),
        max_length=64,
        default="{prefix}-CN-{year}-{number:05}",
        validators=[validate_number_format],
        help_text=_("Credit notes have their own sequence. Same placeholders as invoice numbers."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    early_discount_percent = models.DecimalField(
        _("early-payment discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(50))],
        help_text=_("Offered on new invoices, e.g. 2 % if paid within 10 days. 0: none."),
    )
    early_discount_days = models.PositiveSmallIntegerField(_("if paid within (days)"), default=0)
    link_lifetime_days = models.PositiveSmallIntegerField(
        _("payment link lifetime after the due date (days)"), default=30
    )

    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    sender_email = models.EmailField(_("sender email"), blank=True)
    reply_to = models.EmailField(_("reply-to"), blank=True)

    # The reminder steps (core.reminder_steps), each on or off; by default, as before steps
    # existed: the day after the due date, then every 7 days.
    remind_before_7 = reminder_step_field("before_7")
    remind_before_3 = reminder_step_field("before_3")
    remind_on_due = reminder_step_field("on_due")
    remind_after_1 = reminder_step_field("after_1", default=True)
    remind_after_7 = reminder_step_field("after_7")
    remind_after_14 = reminder_step_field("after_14")
    remind_after_30 = reminder_step_field("after_30")
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("then remind every (days)"),
        default=7,
        help_text=_("After the last step that is on, remind again every this many days until paid. 0: never."),
    )
    locale = models.CharField(
        _("locale"),
        max_length=16,
        choices=LOCALE_CHOICES,
        default="en_US",
        help_text=_("How amounts and dates are written in PDFs, e.g. 1.234,50 € in German."),
    )
    paper_size = models.CharField(_("paper size"), max_length=8, choices=PAPER_SIZES, default="A4")
    payment_instructions = models.TextField(
        _("payment instructions"),
        blank=True,
        help_text=_("Printed on every invoice, e.g. your bank details for transfers."),
    )

    tax_rounding = models.CharField(
        _("tax rounding"),
        max_length=16,
        choices=TAX_ROUNDING_CHOICES,
        default=PER_TOTAL,
        help_text=_("Per total: tax is rounded once per rate. Per line: on each line, then added up."),
    )

    plans_enabled = models.BooleanField(
        _("clients may choose a payment plan"),
        default=False,
        help_text=_("On the pay page, clients can split an invoice into monthly instalments."),
    )
    plan_instalment_options = models.CharField(
        _("instalments offered"),
        max_length=32,
        default="2,3",
        validators=[validate_instalment_options],
        help_text=_("Numbers of monthly instalments, separated by commas, e.g. 2,3,6."),
    )
    plan_minimum_amount = models.DecimalField(
        _("minimum amount for a plan"),
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        default=Decimal(0),
        help_text=_("Invoices whose balance is below this (in their own currency) are paid in one go."),
    )

    stripe_enabled = models.BooleanField(_("accept cards (Stripe)"), default=True)
    credit_enabled = models.BooleanField(_("accept account credit"), default=True)
    late_card_payments = models.CharField(
        _("card payments for a void or paid invoice"),
        max_length=8,
        choices=LATE_CARD_PAYMENT_CHOICES,
        default="credit",
        help_text=_("Money that arrives after the invoice was voided or paid in full. Either way, admins are alerted."),
    )

    account_page_enabled = models.BooleanField(
        _("client account page"),
        default=True,
        help_text=_(
            "Clients sign in with a one-time emailed link to see all their invoices, receipts and statements "
            "here; invoice and receipt emails link to it."
        ),
    )
    sign_in_link_minutes = models.PositiveSmallIntegerField(
        _("sign-in link lifetime (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    account_idle_minutes = models.PositiveSmallIntegerField(
        _("sign out after inactivity (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("legal_name"),
                FieldPanel("address"),
                FieldRowPanel([FieldPanel("postal_code"), FieldPanel("city"), FieldPanel("country")]),
                FieldPanel("tax_id"),
                FieldPanel("legal_registration_id"),
            ],
            heading=_("Seller"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("iban"), FieldPanel("bic")]),
                FieldRowPanel([FieldPanel("epc_qr_code"), FieldPanel("swiss_qr_bill")]),
            ],
            heading=_("Bank transfer"),
        ),
        MultiFieldPanel([FieldPanel("einvoices_enabled"), FieldPanel("electronic_address")], heading=_("E-invoices")),
        MultiFieldPanel(
            [
                FieldPanel("default_currency"),
                FieldPanel("number_prefix"),
                FieldPanel("number_format"),
                FieldPanel("credit_note_number_format"),
                FieldPanel("payment_terms_days"),
                FieldPanel("early_discount_percent"),
                FieldPanel("early_discount_days"),
                FieldPanel("link_lifetime_days"),
            ],
            heading=_("Invoices"),
        ),
        MultiFieldPanel([FieldPanel("tax_rounding")], heading=_("Tax")),
        MultiFieldPanel(
            [FieldPanel("plans_enabled"), FieldPanel("plan_instalment_options"), FieldPanel("plan_minimum_amount")],
            heading=_("Payment plans"),
        ),
        MultiFieldPanel(
            [*(FieldPanel(f"remind_{step.key}") for step in REMINDER_STEPS), FieldPanel("reminder_interval_days")],
            heading=_("Reminders"),
            help_text=_(
                "Each step that is on is emailed once per open invoice, with its wording from the Invoice emails "
                "page. After downtime only the latest missed step goes out."
            ),
        ),
        MultiFieldPanel(
            [FieldPanel("locale"), FieldPanel("paper_size"), FieldPanel("payment_instructions")],
            heading=_("Documents"),
        ),
        MultiFieldPanel(
            [FieldPanel("sender_name"), FieldPanel("sender_email"), FieldPanel("reply_to")], heading=_("Email sender")
        ),
        MultiFieldPanel(
            [FieldPanel("stripe_enabled"), FieldPanel("credit_enabled"), FieldPanel("late_card_payments")],
            heading=_("Payment methods"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("account_page_enabled"),
                FieldPanel("sign_in_link_minutes"),
                FieldPanel("account_idle_minutes"),
            ],
            heading=_("Client account"),
        ),
    ]

    class Meta:
        verbose_name = _("billing")

    # What e-invoices need of the seller (EN 16931 BT-27, BT-35, BT-40, BT-31).
    EINVOICE_FIELDS = ("legal_name", "address", "country", "tax_id")

    def clean(self):
        super().clean()
        self.iban, self.bic = compact_iban(self.iban), self.bic.replace(" ", "").upper()
        if self.swiss_qr_bill and self.iban[:2] not in ("CH", "LI"):
            raise ValidationError(
                {"swiss_qr_bill": _("A Swiss QR-bill needs a Swiss or Liechtenstein IBAN (CH… or LI…).")}
            )
        if self.einvoices_enabled and (missing := self.einvoice_missing()):
            raise ValidationError(
                {"einvoices_enabled": _("E-invoices need: %(fields)s.") % {"fields": ", ".join(missing)}}
            )

    def einvoice_missing(self) -> list[str]:
        """The names of the seller's details that e-invoices need and this website has left blank. A
        seller is identified by its VAT id, else by its company registration (BR-CO-26)."""
        missing = [self._meta.get_field(name).verbose_name for name in self.EINVOICE_FIELDS if not getattr(self, name)]
        if self.tax_id and not is_vat_id(self.tax_id) and not self.legal_registration_id:
            missing.append(
                _("%(field)s (the tax id is no VAT id)")
                % {"field": self._meta.get_field("legal_registration_id").verbose_name}
            )
        return [str(name) for name in missing]

    @property
    def payment_terms(self):
        return timedelta(days=self.payment_terms_days)

    @property
    def link_lifetime(self):
        return timedelta(days=self.link_lifetime_days)

    @property
    def sign_in_link_lifetime(self):
        return timedelta(minutes=self.sign_in_link_minutes)

    @property
    def account_idle_time(self):
        return timedelta(minutes=self.account_idle_minutes)

    @property
    def instalment_options(self):
        """The numbers of instalments clients may choose, smallest first."""
        return sorted({int(part) for part in self.plan_instalment_options.split(",") if part.strip()})

    @property
    def reminder_steps(self):
        """The steps that are on, earliest first."""
        return [step for step in REMINDER_STEPS if getattr(self, f"remind_{step.key}")]
