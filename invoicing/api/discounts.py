"""A draft's discount code: ``POST …/invoices/{id}/discount/ {"code": "WELCOME10"}`` applies it
(in place of any other), ``DELETE`` removes it. Both answer with the invoice as it now is; the
checks (website, dates, limits, currency, minimum) are the service's, and a refused code is a 400
with a message for people. An issued invoice answers 409: a discount after issue is a credit note."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.response import Response

from ..services.actions import ACTIONS
from .schema import extend_schema
from .serializers import InvoiceDetailSerializer
from .views import InvoiceViewSet


class DiscountCodeInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text=_("A code of the invoice's website; not case-sensitive."))


class InvoiceDiscountViewSet(InvoiceViewSet):
    """Routed by ``api/urls.py`` with POST → ``apply_discount`` and DELETE → ``remove_discount``;
    the invoice is found, scoped and permission-checked as by the invoice endpoints."""

    @extend_schema(
        summary="Apply a discount code to a draft",
        description="Replaces any code the draft had (its use is given back). 400 when the code cannot be "
        "used (unknown on this website, inactive, out of its dates, used up, other currency, below its minimum); "
        "409 once the invoice is issued.",
        request=DiscountCodeInputSerializer,
        responses={200: InvoiceDetailSerializer},
    )
    def apply_discount(self, request, pk=None):
        invoice = self.get_object()
        serializer = DiscountCodeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ACTIONS["apply_discount"].run(invoice, by=request.user, code=serializer.validated_data["code"])
        return Response(self.detail_data(invoice))

    @extend_schema(
        summary="Remove a draft's discount code",
        description="The code gets its use back. 400 when the draft has none; 409 once the invoice is issued.",
        request=None,
        responses={200: InvoiceDetailSerializer},
    )
    def remove_discount(self, request, pk=None):
        invoice = self.get_object()
        ACTIONS["remove_discount"].run(invoice, by=request.user)
        return Response(self.detail_data(invoice))
