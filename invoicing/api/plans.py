"""An open invoice's payment plan: ``PUT …/invoices/{id}/plan/`` sets it (replacing any), either
``{"count": 3, "first_due": "2026-12-10"}`` (equal monthly instalments, the remainder on the last)
or ``{"instalments": [{"due_date": "2026-12-10", "amount": "40.00"}, …]}``; ``DELETE`` removes it.
Both answer with the invoice as it now is, its ``instalments`` and ``next_due_date`` included. The
checks (open invoice, 2 to 24 instalments, amounts at the currency's exponent adding up to the
total, dates in order) are the service's: a refused plan is a 400 with a message for people, an
invoice that is not open a 409."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.response import Response

from ..services.actions import ACTIONS
from ..services.plans import MIN_INSTALMENTS, remove_plan
from ..settings import MAX_INSTALMENTS
from .schema import extend_schema
from .serializers import DecimalString, InvoiceDetailSerializer
from .views import InvoiceViewSet


class InstalmentInputSerializer(serializers.Serializer):
    due_date = serializers.DateField()
    amount = DecimalString(max_digits=18, decimal_places=3, min_value=Decimal("0.001"), max_value=Decimal("1e15"))


class PlanInputSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        min_value=MIN_INSTALMENTS,
        max_value=MAX_INSTALMENTS,
        required=False,
        help_text=_("Equal monthly instalments of the total; give first_due too."),
    )
    first_due = serializers.DateField(required=False, help_text=_("The first equal instalment's due date."))
    instalments = InstalmentInputSerializer(
        many=True,
        required=False,
        min_length=MIN_INSTALMENTS,
        max_length=MAX_INSTALMENTS,
        help_text=_("Custom instalments, earliest first; the amounts add up to the invoice's total."),
    )

    def validate(self, attrs):
        if ("count" in attrs) == ("instalments" in attrs):
            raise serializers.ValidationError(_("Give either count (with first_due) or instalments."))
        if "count" in attrs and "first_due" not in attrs:
            raise serializers.ValidationError({"first_due": [_("Give the first instalment's due date.")]})
        if "instalments" in attrs and "first_due" in attrs:
            raise serializers.ValidationError({"first_due": [_("Only with count.")]})
        return attrs

    def service_params(self):
        data = self.validated_data
        if "count" in data:
            return {"count": data["count"], "first_due": data["first_due"]}
        return {"instalments": [(row["due_date"], row["amount"]) for row in data["instalments"]]}


class InvoicePlanViewSet(InvoiceViewSet):
    """Routed by ``api/urls.py`` with PUT → ``set_plan`` and DELETE → ``remove_plan``; the invoice
    is found, scoped and permission-checked as by the invoice endpoints."""

    @extend_schema(
        summary="Set an open invoice's payment plan",
        description="Equal monthly instalments (count and first_due) or custom ones (instalments), replacing "
        "any plan it had. Money already received pays the earliest instalments first. 400 when the plan is "
        "refused (the amounts miss the total, dates not in order, too many decimals); 409 unless the invoice "
        "is open with something due.",
        request=PlanInputSerializer,
        responses={200: InvoiceDetailSerializer},
    )
    def set_plan(self, request, pk=None):
        invoice = self.get_object()
        serializer = PlanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ACTIONS["set_plan"].run(invoice, by=request.user, **serializer.service_params())
        return Response(self.detail_data(invoice))

    @extend_schema(
        summary="Remove an open invoice's payment plan",
        description="The balance is due on the due date again. 409 when it has no plan or is not open.",
        request=None,
        responses={200: InvoiceDetailSerializer},
    )
    def remove_plan(self, request, pk=None):
        invoice = self.get_object()
        remove_plan(invoice, by=request.user)
        return Response(self.detail_data(invoice))
