"""The statistics endpoint's query and answer: ``services.stats.invoice_stats`` for the caller's
websites, per currency (never summed across currencies), as JSON."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..services.stats import ORIGIN_CHOICES, month_start

DEFAULT_MONTHS = 12
MAX_PERIOD_DAYS = 3660


class StatsQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text=_("First day of the period; default: 11 months ago, day 1.")
    )
    end = serializers.DateField(required=False, help_text=_("Last day of the period (included); default: today."))
    as_of = serializers.DateField(required=False, help_text=_("Day from which days past due count; default: today."))
    website = serializers.IntegerField(required=False, min_value=1, help_text=_("Only this website (its id)."))
    origin = serializers.ChoiceField(
        choices=ORIGIN_CHOICES,
        required=False,
        help_text=_("Only recurring invoices (made by a recurring schedule), or only one-off ones; default: both."),
    )

    def validate(self, attrs):
        attrs.setdefault("end", timezone.localdate())
        attrs.setdefault("start", month_start(attrs["end"], DEFAULT_MONTHS - 1))
        attrs.setdefault("as_of", timezone.localdate())
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": _("The period must start on or before its end.")})
        if (attrs["end"] - attrs["start"]).days > MAX_PERIOD_DAYS:
            raise serializers.ValidationError({"start": _("The period can be at most ten years long.")})
        return attrs


class MethodStatsSerializer(serializers.Serializer):
    method = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=3, coerce_to_string=True)
    refunded = serializers.DecimalField(max_digits=18, decimal_places=3, coerce_to_string=True)


class AgingBucketSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=3, coerce_to_string=True)


class CurrencyStatsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    invoice_count = serializers.IntegerField(help_text=_("Invoices issued in the period, except void ones."))
    paid_count = serializers.IntegerField()
    unpaid_count = serializers.IntegerField(help_text=_("Still open."))
    uncollectible_count = serializers.IntegerField()
    invoiced = serializers.DecimalField(max_digits=18, decimal_places=3, coerce_to_string=True)
    collected = serializers.DecimalField(
        max_digits=18, decimal_places=3, coerce_to_string=True, help_text=_("Received less refunded, in the period.")
    )
    outstanding = serializers.DecimalField(max_digits=18, decimal_places=3, coerce_to_string=True)
    overdue_count = serializers.IntegerField()
    overdue_amount = serializers.DecimalField(max_digits=18, decimal_places=3, coerce_to_string=True)
    average_days_to_pay = serializers.DecimalField(
        max_digits=8, decimal_places=1, coerce_to_string=True, allow_null=True
    )
    by_method = serializers.SerializerMethodField()
    aging = AgingBucketSerializer(many=True)

    @extend_schema_field(MethodStatsSerializer(many=True))
    def get_by_method(self, stats):
        return MethodStatsSerializer(stats.by_method.values(), many=True).data

    def to_representation(self, stats):
        data = super().to_representation(stats)
        # Amounts at the currency's exponent ("120.00 EUR", "1500 JPY"), as the service rounded them.
        for name in ("invoiced", "collected", "outstanding", "overdue_amount"):
            data[name] = str(getattr(stats, name))
        for row, method in zip(data["by_method"], stats.by_method.values(), strict=True):
            row["amount"], row["refunded"] = str(method.amount), str(method.refunded)
        for row, bucket in zip(data["aging"], stats.aging, strict=True):
            row["amount"] = str(bucket.amount)
        return data


class StatsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    as_of = serializers.DateField()
    currencies = CurrencyStatsSerializer(many=True)
