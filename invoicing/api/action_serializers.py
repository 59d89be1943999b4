"""What the actions on one invoice read (mark paid, void, write off, send by email) and what they answer."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..mail.kinds import KINDS_SENT_ON_REQUEST, EmailKind
from .serializers import DecimalString, EmailStatusSerializer, InvoiceDetailSerializer, PaymentSerializer


class MarkPaidSerializer(serializers.Serializer):
    amount = DecimalString(
        max_digits=18,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
        help_text=_("Default: the whole amount due."),
    )
    reason = serializers.CharField(max_length=1000, help_text=_("Why it is recorded by hand, e.g. “Bank transfer”."))
    reference = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The bank's or the payer's reference; recording it twice records one payment."),
    )
    paid_on = serializers.DateField(
        required=False,
        help_text=_("The day the money was received (default: today); it decides an early-payment discount."),
    )


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class WriteOffSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SendEmailSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(kind.value, kind.label) for kind in KINDS_SENT_ON_REQUEST], default=EmailKind.INVOICE
    )


class SendEmailResultSerializer(serializers.Serializer):
    email = EmailStatusSerializer(read_only=True)
    invoice = InvoiceDetailSerializer(read_only=True)


class PaymentResultSerializer(serializers.Serializer):
    payment = PaymentSerializer(read_only=True)
    invoice = InvoiceDetailSerializer(read_only=True)
