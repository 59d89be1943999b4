"""Invoice templates (presets for new invoices) and the recurring schedules that use them."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from ..core.money import CURRENCY_CHOICES
from ..core.periods import Cadence
from ..mail.placeholders import unknown_placeholders
from .invoices import LineFields

# The placeholders a template may hold, filled per period by a recurring schedule.
PERIOD_PLACEHOLDERS = frozenset({"period_start", "period_end", "period_label"})


def refuse_unknown_placeholders(text):
    unknown = unknown_placeholders(text, allowed=PERIOD_PLACEHOLDERS)
    if unknown:
        raise ValidationError(
            _("Unknown placeholders: %(unknown)s. You can use {period_start}, {period_end} and {period_label}."),
            params={"unknown": ", ".join(unknown)},
            code="unknown_placeholder",
        )


class InvoiceTemplate(ClusterableModel):
    """A preset for a website's invoices: "New invoice from template" fills a draft from it, and a
    recurring schedule fills one per period. ``{period_start}``, ``{period_end}`` and
    ``{period_label}`` in the title and the lines' descriptions are filled per period."""

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.PROTECT, related_name="invoice_templates", verbose_name=_("website")
    )
    name = models.CharField(_("name"), max_length=200)
    client = models.ForeignKey(
        "invoicing.Client",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoice_templates",
        verbose_name=_("client"),
        help_text=_("Optional: the client new invoices from this template are for."),
    )
    title = models.CharField(_("invoice title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        help_text=_("Days from the invoice date to the due date; empty: the website's payment terms."),
    )
    allow_partial_payments = models.BooleanField(_("allow partial payments"), default=False)
    notes = models.TextField(_("internal notes"), blank=True, help_text=_("For admins only; never on the invoice."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("invoice template")
        verbose_name_plural = _("invoice templates")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        for name in ("title", "description"):
            try:
                refuse_unknown_placeholders(getattr(self, name))
            except ValidationError as exc:
                errors[name] = exc
        if self.client_id and self.site_id and self.client.site_id != self.site_id:
            errors["client"] = _("This client belongs to another website.")
        if errors:
            raise ValidationError(errors)


class InvoiceTemplateLine(Orderable, LineFields):
    template = ParentalKey(InvoiceTemplate, on_delete=models.CASCADE, related_name="lines")

    def clean(self):
        super().clean()
        try:
            refuse_unknown_placeholders(self.description)
        except ValidationError as exc:
            raise ValidationError({"description": exc}) from None

    class Meta(Orderable.Meta):
        verbose_name = _("template line")
        verbose_name_plural = _("template lines")


class RecurringSchedule(models.Model):
    """Bills a client from a template every interval, one invoice per period."""

    class Interval(models.TextChoices):
        WEEK = "week", _("Weekly")
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        YEAR = "year", _("Yearly")

    class Action(models.TextChoices):
        DRAFT = "draft", _("Leave a draft")
        ISSUE = "issue", _("Issue it")
        SEND = "send", _("Issue and email it")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.PROTECT, related_name="recurring_schedules", verbose_name=_("website")
    )
    name = models.CharField(_("name"), max_length=200)
    template = models.ForeignKey(
        InvoiceTemplate, on_delete=models.PROTECT, related_name="schedules", verbose_name=_("template")
    )
    client = models.ForeignKey(
        "invoicing.Client", on_delete=models.PROTECT, related_name="recurring_schedules", verbose_name=_("client")
    )
    interval = models.CharField(_("interval"), max_length=8, choices=Interval.choices, default=Interval.MONTH)
    interval_count = models.PositiveSmallIntegerField(
        _("every"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("1: every interval; 2: every other one; and so on."),
    )
    anchor_day = models.PositiveSmallIntegerField(
        _("day of the month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_(
            "Monthly, quarterly and yearly: the day each period starts; the 31st falls back to the last day "
            "of a shorter month. Empty: the start date's day."
        ),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("No period starts after it."))
    max_invoices = models.PositiveIntegerField(
        _("number of invoices"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: until the end date, or until ended."),
    )
    action = models.CharField(_("each period"), max_length=8, choices=Action.choices, default=Action.SEND)
    auto_charge = models.BooleanField(
        _("charge the saved card"),
        default=False,
        help_text=_("When issued, charge the card the client saved for this website, if any."),
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE, editable=False)
    # Set when resumed: periods that started while the schedule was paused are skipped, not billed late.
    resumed_on = models.DateField(_("resumed on"), null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["status", "site"])]
        verbose_name = _("recurring schedule")
        verbose_name_plural = _("recurring schedules")

    def __str__(self):
        return self.name

    @property
    def cadence(self):
        return Cadence(
            interval=self.interval,
            interval_count=self.interval_count,
            start_date=self.start_date,
            anchor_day=self.anchor_day,
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.template_id and self.site_id and self.template.site_id != self.site_id:
            errors["template"] = _("This template belongs to another website.")
        if self.client_id and self.site_id and self.client.site_id != self.site_id:
            errors["client"] = _("This client belongs to another website.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if self.anchor_day is not None and self.interval == self.Interval.WEEK:
            errors["anchor_day"] = _("Weekly schedules start each period on the start date's weekday; leave it empty.")
        if errors:
            raise ValidationError(errors)
