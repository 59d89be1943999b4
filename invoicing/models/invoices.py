from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from ..core.lifecycle import InvoiceStatus
from ..core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS, round_money, to_minor_units
from ..core.tax import TaxTreatment
from ..core.totals import line_total
from .money_fields import ScaledToCurrency, money_field

# ``Invoice.amount_due`` in SQL, for sums and sorting (open invoices never owe less than nothing).
AMOUNT_DUE = (
    models.F("total") - models.F("amount_paid") - models.F("amount_credited") - models.F("early_discount_taken")
)


class InvoiceQuerySet(models.QuerySet):
    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status=InvoiceStatus.OPEN, collect_by__lt=today)


class Invoice(ScaledToCurrency, ClusterableModel):
    """An invoice to one client of one website. Only services change it."""

    money_fields = (
        "subtotal",
        "tax",
        "total",
        "amount_paid",
        "discount_total",
        "early_discount_taken",
        "amount_credited",
    )

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("website")
    )
    client = models.ForeignKey(
        "invoicing.Client", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("client")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("issued by"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    allow_partial_payments = models.BooleanField(_("allow partial payments"), default=False)

    # Set on the invoices a recurring schedule creates: one per schedule and period.
    schedule = models.ForeignKey(
        "invoicing.RecurringSchedule",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        editable=False,
        verbose_name=_("recurring schedule"),
    )
    period_start = models.DateField(_("period start"), null=True, blank=True, editable=False)
    period_end = models.DateField(_("period end"), null=True, blank=True, editable=False)
    reminders_paused = models.BooleanField(_("reminders paused"), default=False, editable=False)

    # Tax: prices as entered with or without tax; the client's treatment (live on a draft, copied
    # when the invoice is issued).
    prices_include_tax = models.BooleanField(_("prices include tax"), default=False)
    tax_treatment = models.CharField(
        _("tax treatment"), max_length=16, choices=TaxTreatment.choices, blank=True, editable=False
    )
    tax_exemption_reason = models.CharField(_("tax exemption reason"), max_length=300, blank=True, editable=False)
    # The website's rounding rule (core.totals) when the totals were last computed.
    tax_rounding = models.CharField(_("tax rounding"), max_length=16, blank=True, editable=False)

    # A discount code applied to the draft (see DiscountRedemption), shown as a discount line.
    discount_code = models.ForeignKey(
        "invoicing.DiscountCode",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        editable=False,
        verbose_name=_("discount code"),
    )
    discount_label = models.CharField(_("discount"), max_length=200, blank=True, editable=False)
    # The code's percentage as it was applied (none for a fixed amount, which is discount_total).
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, editable=False)

    # Early-payment discount ("2 % if paid within 10 days"): the terms are set on the draft, the
    # last day is fixed when the invoice is issued.
    early_discount_percent = models.DecimalField(
        _("early-payment discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(50))],
    )
    early_discount_days = models.PositiveSmallIntegerField(_("if paid within (days)"), default=0)
    early_discount_until = models.DateField(_("early-payment discount until"), null=True, blank=True, editable=False)

    # When the money still open is due: the earliest open instalment's date under a payment plan,
    # else the due date. Kept by the services; what "overdue", aging and reminders read.
    collect_by = models.DateField(_("next due date"), null=True, blank=True, editable=False, db_index=True)

    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, editable=False
    )
    number = models.CharField(_("number"), max_length=64, blank=True, default="", editable=False)

    # The client's details as they were when the invoice was issued.
    billing_name = models.CharField(max_length=200, blank=True, editable=False)
    billing_email = models.EmailField(blank=True, editable=False)
    billing_address = models.TextField(blank=True, editable=False)
    billing_tax_id = models.CharField(max_length=64, blank=True, editable=False)
    billing_postal_code = models.CharField(max_length=16, blank=True, editable=False)
    billing_city = models.CharField(max_length=100, blank=True, editable=False)
    billing_country = models.CharField(max_length=2, blank=True, editable=False)
    billing_electronic_address = models.CharField(max_length=110, blank=True, editable=False)
    buyer_reference = models.CharField(
        _("buyer reference"),
        max_length=100,
        blank=True,
        help_text=_("E.g. the client's purchase order or Leitweg-ID. Blank: the client's own, when issued."),
    )

    subtotal = money_field(_("subtotal"), editable=False)
    tax = money_field(_("tax"), editable=False)
    total = money_field(_("total"), editable=False)
    # The discount code's part, on the prices' footing (with tax where prices include it).
    discount_total = money_field(_("discount"), editable=False)
    amount_paid = money_field(_("amount paid"), editable=False)
    # Taken off the balance by credit notes, and by an early-payment discount the client earned.
    amount_credited = money_field(_("credited"), editable=False)
    early_discount_taken = money_field(_("early-payment discount taken"), editable=False)

    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("voided or written off at"), null=True, blank=True, editable=False)
    close_reason = models.TextField(_("reason for voiding or writing off"), blank=True, editable=False)

    payment_link = models.ForeignKey(
        "invoicing.PaymentLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    email_sent = models.BooleanField(_("email sent"), default=False, editable=False)
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True, editable=False)
    email_sent_count = models.PositiveIntegerField(_("emails sent"), default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "number"], condition=~models.Q(number=""), name="invoicing_unique_number_per_site"
            ),
            models.CheckConstraint(condition=models.Q(amount_paid__gte=0), name="invoicing_amount_paid_not_negative"),
            # A recurring run, repeated, concurrent or catching up, creates each period's invoice once.
            models.UniqueConstraint(
                fields=["schedule", "period_start"],
                condition=models.Q(schedule__isnull=False),
                name="invoicing_one_invoice_per_schedule_period",
            ),
        ]
        indexes = [models.Index(fields=["site", "status", "due_date"])]
        # Beyond Django's four: the actions that take money off the books, and the figures.
        permissions = [
            ("void_invoice", _("Can void invoices")),
            ("write_off_invoice", _("Can write off invoices")),
            ("credit_invoice", _("Can issue credit notes and refunds")),
            ("report_invoice", _("Can read billing reports and export them")),
        ]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self):
        return f"{self.number or _('Draft')} · {self.title}"

    # The seed's names, kept as read-only properties.
    @property
    def website(self):
        return self.site

    @property
    def reference_id(self):
        return self.number

    @property
    def amount(self):
        return self.total

    @property
    def is_paid(self):
        return self.status == InvoiceStatus.PAID

    @cached_property
    def payment(self):
        """The latest successful payment, if any."""
        return self.payments.filter(status="succeeded").order_by("-created_at", "-id").first()

    @property
    def payment_token(self):
        """The SHA-256 of the current link's token; the raw token is never stored."""
        return self.payment_link.token_hash if self.payment_link else None

    @property
    def token_expires_at(self):
        return self.payment_link.expires_at if self.payment_link else None

    # Derived, never stored.
    @property
    def amount_due(self):
        owed = self.total - self.amount_paid - self.amount_credited - self.early_discount_taken
        return max(round_money(owed, self.currency), round_money(0, self.currency))

    @property
    def amount_due_minor(self):
        return to_minor_units(self.amount_due, self.currency)

    @property
    def is_overdue(self):
        return (
            self.status == InvoiceStatus.OPEN and self.collect_by is not None and self.collect_by < timezone.localdate()
        )

    @property
    def is_partially_paid(self):
        return self.status == InvoiceStatus.OPEN and self.amount_paid > 0


class LineFields(models.Model):
    """What a line of an invoice, or of an invoice template, says."""

    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    # The catalogue rate chosen (``tax_rate`` keeps its percentage as it was when chosen).
    tax = models.ForeignKey(
        "invoicing.TaxRate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tax"),
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.description


class InvoiceLine(Orderable, LineFields):
    invoice = ParentalKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(Orderable.Meta):
        verbose_name = _("line")
        verbose_name_plural = _("lines")

    @property
    def total(self):
        return line_total(self.quantity, self.unit_price, self.invoice.currency)


class PaymentLink(models.Model):
    """One version of an invoice's payment link. Only the token's SHA-256 is kept.

    Old versions stay, so that a rotated, revoked or expired token leads to the recovery page
    instead of a 404, without ever revealing the invoice.
    """

    class EndReason(models.TextChoices):
        ROTATED = "rotated", _("Replaced by a new link")
        REVOKED = "revoked", _("Revoked")
        VOIDED = "voided", _("Invoice voided")
        # Replaced because a payment changed the balance: still opens that payment's receipt.
        PAID_IN_PART = "paid_in_part", _("Replaced after a partial payment")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payment_links")
    token_hash = models.CharField(max_length=64, unique=True)
    version = models.PositiveIntegerField()
    # What the link was issued for: a change of either makes the link unusable.
    amount_due_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # With an early-payment discount: what paying before its last day costs, in minor units.
    early_amount_minor = models.BigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "version"], name="invoicing_unique_link_version"),
        ]
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")

    def __str__(self):
        return f"{self.invoice} v{self.version}"

    @property
    def is_expired(self):
        return timezone.now() >= self.expires_at
