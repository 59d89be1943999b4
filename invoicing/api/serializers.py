"""What the invoice endpoints read and write. The seed's field names are kept (``reference_id``,
``website``, ``amount``, ``is_paid``, ``payment``, ``token_expires_at``, ``email_sent*``).

Money and every other decimal is a JSON string, in and out (``"25.00"``): a JSON number is refused,
naming the field, because a client's float would already have lost the cents. Totals and amounts
due are computed on the server; they are never read from a request."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_attribute

from ..core.money import round_money
from ..core.tax import TaxTreatment
from ..models import Invoice, OutboundEmail, Payment
from ..services.amounts_due import instalment_states
from ..services.invoice_totals import tax_treatment_of
from ..services.reminder_schedule import next_reminder
from ..services.tax import invoice_tax_summary

# Bounds that keep every total within the money columns (15 integer digits).
MAX_LINES = 50
MAX_QUANTITY = 100_000
MAX_UNIT_PRICE = 10_000_000
MAX_DUE_DAYS_AHEAD = 3650


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "25.00"})
class DecimalString(serializers.DecimalField):
    """A decimal sent as a JSON string; a JSON number is refused."""

    default_error_messages = {
        "not_a_string": _('Send this value as a string, such as "25.00", not as a JSON number.'),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data.strip())


@extend_schema_field({"type": "string", "format": "decimal", "example": "120.00"})
class MoneyField(serializers.Field):
    """An amount, as a string rounded to its currency's exponent; ``currency`` is the dotted path
    from the serialized object to that currency."""

    def __init__(self, *, currency="currency", **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.currency_attrs = currency.split(".")

    def get_attribute(self, instance):
        return super().get_attribute(instance), get_attribute(instance, self.currency_attrs)

    def to_representation(self, value):
        amount, currency = value
        return None if amount is None else str(round_money(amount, currency))


class RefundedField(MoneyField):
    """Refunded so far: the viewset's ``refunded_amount`` annotation, else one query."""

    def get_attribute(self, payment):
        if hasattr(payment, "refunded_amount"):
            return payment.refunded_amount or 0, payment.currency  # the annotation is None without refunds
        return payment.amount_refunded, payment.currency


class LineSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    quantity = DecimalString(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), max_value=MAX_QUANTITY, default="1"
    )
    unit_price = DecimalString(
        max_digits=18, decimal_places=3, min_value=-MAX_UNIT_PRICE, max_value=MAX_UNIT_PRICE, help_text=_("Before tax.")
    )
    tax_rate = DecimalString(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text=_(
            "The rate in percent. Where the website has a tax catalogue, it must be one of its active rates "
            "(or send tax_rate_id); left out, the website's default rate (0 without a catalogue)."
        ),
    )
    tax_rate_id = serializers.IntegerField(
        source="tax_id",
        required=False,
        allow_null=True,
        min_value=1,
        help_text=_("One of the website's active tax rates (its catalogue); its percentage becomes tax_rate."),
    )
    total = serializers.SerializerMethodField(help_text=_("Quantity × unit price, before tax, rounded."))

    def get_total(self, line) -> str:
        return str(line.total)


class PaymentSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    refunded = RefundedField(help_text=_("Refunded so far."))
    reference = serializers.CharField(source="provider_reference", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "method", "status", "amount", "refunded", "currency", "reference", "note", "created_at"]
        read_only_fields = fields


class EmailStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboundEmail
        fields = ["id", "kind", "status", "delivery", "to_email", "attempts", "last_error", "created_at", "sent_at"]
        read_only_fields = fields


class IssuedLinkSerializer(serializers.Serializer):
    """The pay link with its raw token. It appears in the one response that issued or rotated it."""

    url = serializers.URLField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class CreditNoteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    total = serializers.CharField()


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice as the list shows it."""

    reference_id = serializers.CharField(read_only=True, allow_null=True, help_text=_("The number; null for drafts."))
    website = serializers.IntegerField(source="site_id", read_only=True)
    website_name = serializers.CharField(source="site.site_name", read_only=True)
    client = serializers.IntegerField(source="client_id", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    issued_by = serializers.IntegerField(source="issued_by_id", read_only=True, allow_null=True)
    subtotal = MoneyField()
    tax = MoneyField()
    amount = MoneyField(help_text=_("The total, tax included."))
    amount_paid = MoneyField()
    amount_due = MoneyField()
    is_paid = serializers.BooleanField(read_only=True)
    is_overdue = serializers.BooleanField(
        read_only=True, help_text=_("Open, with an instalment (or the invoice) past its due date.")
    )
    is_partially_paid = serializers.BooleanField(read_only=True)
    tax_treatment = serializers.SerializerMethodField(
        help_text=_("standard, exempt or reverse_charge: the client's on a draft, as issued afterwards.")
    )
    payment = serializers.SerializerMethodField(help_text=_("The latest successful payment."))
    token_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    next_due_date = serializers.DateField(
        source="collect_by",
        read_only=True,
        allow_null=True,
        help_text=_("When the money still open is due: the first open instalment's date, else the due date."),
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "reference_id",
            "status",
            "website",
            "website_name",
            "client",
            "client_name",
            "issued_by",
            "title",
            "description",
            "currency",
            "subtotal",
            "tax",
            "amount",
            "amount_paid",
            "amount_due",
            "due_date",
            "next_due_date",
            "allow_partial_payments",
            "prices_include_tax",
            "buyer_reference",
            "tax_treatment",
            "is_paid",
            "is_overdue",
            "is_partially_paid",
            "payment",
            "issued_at",
            "paid_at",
            "closed_at",
            "close_reason",
            "token_expires_at",
            "email_sent",
            "email_sent_at",
            "email_sent_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, invoice):
        data = super().to_representation(invoice)
        data["reference_id"] = invoice.number or None
        return data

    def get_tax_treatment(self, invoice) -> str:
        return tax_treatment_of(invoice) or TaxTreatment.STANDARD

    @extend_schema_field(PaymentSerializer(allow_null=True))
    def get_payment(self, invoice):
        # ``payments_with_refunds`` is prefetched by the viewset (newest first): lists keep a fixed query count.
        payments = invoice.payments_with_refunds
        payment = next((p for p in payments if p.status == Payment.Status.SUCCEEDED), None)
        return PaymentSerializer(payment).data if payment else None


class NextReminderSerializer(serializers.Serializer):
    step = serializers.CharField(source="key", help_text=_("The step: before_3, on_due, after_7, …, repeat_1, …"))
    label = serializers.CharField()
    date = serializers.DateField(help_text=_("When it goes out (with the daily run)."))


class TaxRowSerializer(serializers.Serializer):
    rate = serializers.CharField(help_text=_('Percent, e.g. "19.00".'))
    base = serializers.CharField(help_text=_("The taxable amount, at the currency's exponent."))
    tax = serializers.CharField()


class AppliedDiscountSerializer(serializers.Serializer):
    code = serializers.CharField(source="discount_code.code", read_only=True)
    label = serializers.CharField(source="discount_label", read_only=True, help_text=_("As the invoice shows it."))
    amount = MoneyField(source="discount_total", help_text=_("Taken off the lines, on the prices' footing."))


def instalments_data(invoice):
    today = timezone.localdate()
    return [
        {
            "sequence": state.sequence,
            "due_date": state.due_date,
            "amount": str(state.amount),
            "paid": str(state.paid),
            "remaining": str(state.remaining),
            "overdue": state.is_overdue(today),
        }
        for state in instalment_states(invoice)
    ]


class InstalmentSerializer(serializers.Serializer):
    """One instalment of a payment plan, with what the money received so far has paid of it."""

    sequence = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = serializers.CharField(help_text=_("At the currency's exponent."))
    paid = serializers.CharField()
    remaining = serializers.CharField()
    overdue = serializers.BooleanField(help_text=_("Not paid, and past its due date."))


class InvoiceDetailSerializer(InvoiceSerializer):
    """One invoice with its lines, payments and latest email; ``payment_link`` only right after
    the link was issued or rotated (the raw token is never stored, so it cannot be shown again)."""

    lines = LineSerializer(many=True, read_only=True)
    payments = serializers.SerializerMethodField()
    last_email = serializers.SerializerMethodField()
    payment_link = serializers.SerializerMethodField(
        help_text=_("Only in the response that issued or rotated the link: keep it, it is not shown again.")
    )
    next_reminder = serializers.SerializerMethodField(
        help_text=_("The next scheduled reminder; null when none will go (paid, paused, no step left, …).")
    )
    reminders_paused = serializers.BooleanField(read_only=True)
    tax_summary = serializers.SerializerMethodField(
        help_text=_(
            "Per tax rate: the taxable amount (without tax, after any discount) and the tax. Exempt and "
            "reverse-charge invoices have one row at 0."
        )
    )
    tax_exemption_reason = serializers.SerializerMethodField(help_text=_("Why an exempt invoice carries no tax."))
    instalments = serializers.SerializerMethodField(
        help_text=_("The payment plan, earliest first; empty without one. Payments settle the earliest first.")
    )
    discount = serializers.SerializerMethodField(help_text=_("The discount code applied to it; null without one."))
    amount_credited = MoneyField(help_text=_("What its credit notes took off the balance."))
    credit_notes = serializers.SerializerMethodField(help_text=_("Its credit notes, oldest first."))

    class Meta(InvoiceSerializer.Meta):
        fields = InvoiceSerializer.Meta.fields + [
            "lines",
            "payments",
            "last_email",
            "payment_link",
            "next_reminder",
            "reminders_paused",
            "tax_summary",
            "tax_exemption_reason",
            "instalments",
            "discount",
            "amount_credited",
            "credit_notes",
        ]
        read_only_fields = fields

    @extend_schema_field(CreditNoteRefSerializer(many=True))
    def get_credit_notes(self, invoice):
        notes = invoice.credit_notes.order_by("issued_at", "id").values("id", "number", "total")
        currency = invoice.currency
        return [{"id": n["id"], "number": n["number"], "total": str(round_money(n["total"], currency))} for n in notes]

    @extend_schema_field(TaxRowSerializer(many=True))
    def get_tax_summary(self, invoice):
        summary = invoice_tax_summary(invoice, invoice.lines.all())
        return [
            {"rate": rate_text(row.rate), "base": str(row.base), "tax": str(row.tax)} for row in summary.totals.by_rate
        ]

    def get_tax_exemption_reason(self, invoice) -> str:
        if tax_treatment_of(invoice) != TaxTreatment.EXEMPT:
            return ""
        return invoice.client.tax_exemption_reason if invoice.status == "draft" else invoice.tax_exemption_reason

    @extend_schema_field(AppliedDiscountSerializer(allow_null=True))
    def get_discount(self, invoice):
        if invoice.discount_code_id is None:
            return None
        return AppliedDiscountSerializer(invoice).data

    @extend_schema_field(InstalmentSerializer(many=True))
    def get_instalments(self, invoice):
        return instalments_data(invoice)

    @extend_schema_field(PaymentSerializer(many=True))
    def get_payments(self, invoice):
        return PaymentSerializer(invoice.payments_with_refunds, many=True).data

    @extend_schema_field(EmailStatusSerializer(allow_null=True))
    def get_last_email(self, invoice):
        email = invoice.emails.order_by("-created_at", "-id").first()
        return EmailStatusSerializer(email).data if email else None

    @extend_schema_field(IssuedLinkSerializer(allow_null=True))
    def get_payment_link(self, invoice):
        link = self.context.get("issued_link")
        return IssuedLinkSerializer(link).data if link else None

    @extend_schema_field(NextReminderSerializer(allow_null=True))
    def get_next_reminder(self, invoice):
        step = next_reminder(invoice)
        return NextReminderSerializer(step).data if step else None


def rate_text(rate):
    """A rate as lines carry it, with two decimals (``"19.00"``, ``"0.00"``)."""
    rate = Decimal(rate)
    return f"{rate.quantize(Decimal('0.01')) if rate.as_tuple().exponent >= -2 else rate:f}"
