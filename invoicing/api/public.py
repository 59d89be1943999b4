"""``/invoices/pay/{token}/``: the pay page as JSON, for the seed's frontend. No login: the token
is the only key, so every rule of the pay page applies here too.

- Every request counts against the pay page's rate limits (the same counters), before anything else.
- The website is the request's Wagtail Site. An unknown, malformed or other website's token is the
  same 404; an expired, revoked or replaced link is a 410 that reveals nothing of the invoice.
- Amounts are computed by the services: a posted amount is only a partial-payment choice.
- POST keeps CSRF protection, as the pay page's forms do: GET sets the ``csrftoken`` cookie, and a
  POST sends it back in the ``X-CSRFToken`` header.
- Every answer is ``no-store``, sends no path in a Referer, and cannot be framed.
"""

import logging
from dataclasses import asdict
from decimal import Decimal

from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.models import Site

from ..core.exceptions import PaymentLinkInvalid, PaymentRejected
from ..pay.headers import protect_token_response
from ..pay.ratelimit import PAY_GROUP, check_request
from ..services.amounts_due import amounts_due
from ..services.checkout import start_card_payment
from ..services.pay_policy import pay_options, refusal
from ..services.payments import pay_with_credit
from ..services.tokens import pay_link_url, pay_page_for_site, resolve_payment_link
from .errors import RateLimited
from .schema import extend_schema
from .serializers import (
    DecimalString,
    InstalmentSerializer,
    IssuedLinkSerializer,
    LineSerializer,
    MoneyField,
    PaymentSerializer,
    instalments_data,
)
from .views import InvoicingAPIMixin

logger = logging.getLogger(__name__)


class PayableInvoiceSerializer(serializers.Serializer):
    """What the pay page shows: the invoice, and how it can be paid now."""

    reference_id = serializers.CharField(source="invoice.number")
    website_name = serializers.CharField(source="invoice.site.site_name")
    client_name = serializers.CharField(source="invoice.billing_name")
    title = serializers.CharField(source="invoice.title")
    description = serializers.CharField(source="invoice.description")
    status = serializers.CharField(source="invoice.status")
    currency = serializers.CharField(source="invoice.currency")
    lines = LineSerializer(source="invoice.lines.all", many=True)
    subtotal = MoneyField(source="invoice.subtotal", currency="invoice.currency")
    tax = MoneyField(source="invoice.tax", currency="invoice.currency")
    amount = MoneyField(source="invoice.total", currency="invoice.currency")
    amount_paid = MoneyField(source="invoice.amount_paid", currency="invoice.currency")
    amount_due = MoneyField(source="invoice.amount_due", currency="invoice.currency")
    due_date = serializers.DateField(source="invoice.due_date")
    is_paid = serializers.BooleanField(source="invoice.is_paid")
    is_overdue = serializers.BooleanField(source="invoice.is_overdue")
    issued_at = serializers.DateTimeField(source="invoice.issued_at")
    paid_at = serializers.DateTimeField(source="invoice.paid_at", allow_null=True)
    token_expires_at = serializers.DateTimeField(source="invoice.token_expires_at")
    allow_partial_payments = serializers.BooleanField(source="invoice.allow_partial_payments")
    payable = serializers.BooleanField(help_text=gettext_lazy("Something can be paid now, by card or credit."))
    processing = serializers.BooleanField(help_text=gettext_lazy("A card payment is on its way: no second one."))
    card_enabled = serializers.BooleanField()
    credit_available = MoneyField(source="credit", currency="invoice.currency")
    minimum_partial_amount = MoneyField(source="minimum_partial", currency="invoice.currency", allow_null=True)
    pdf_url = serializers.URLField()
    amount_due_now = serializers.CharField(
        help_text=gettext_lazy(
            "What a card payment without an amount charges: under a payment plan the instalments due, else the "
            "balance (or its early-payment price)."
        )
    )
    next_due_date = serializers.DateField(source="invoice.collect_by", allow_null=True)
    instalments = InstalmentSerializer(many=True, help_text=gettext_lazy("The payment plan; empty without one."))


class PayRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=[
            ("card", gettext_lazy("Card")),
            ("credit", gettext_lazy("Credit")),
            ("wallet", gettext_lazy("Wallet: the same as credit")),
        ],
        help_text=gettext_lazy(
            "card, or credit to pay with the client's account credit; wallet is the seed's name for credit."
        ),
    )
    amount = DecimalString(
        max_digits=18,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
        help_text=gettext_lazy("Part of the balance, where the invoice allows it; default: all of it."),
    )

    def validate_method(self, value):
        # The seed's API called paying with account credit "wallet".
        return "credit" if value == "wallet" else value


class PayResultSerializer(serializers.Serializer):
    method = serializers.CharField()
    amount = serializers.CharField(help_text=gettext_lazy("Charged (card) or paid (credit), as computed here."))
    currency = serializers.CharField()
    intent_id = serializers.CharField(required=False, help_text=gettext_lazy("Card: the PaymentIntent."))
    client_secret = serializers.CharField(required=False, help_text=gettext_lazy("Card: for Stripe.js."))
    publishable_key = serializers.CharField(required=False, help_text=gettext_lazy("Card: for Stripe.js."))
    payment = PaymentSerializer(required=False, help_text=gettext_lazy("Credit: the payment recorded."))
    amount_due = serializers.CharField(required=False, help_text=gettext_lazy("Credit: what is left to pay."))
    payment_link = IssuedLinkSerializer(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Credit paid part of it: the link for the rest (this one stops working)."),
    )


class PayLinkView(InvoicingAPIMixin, APIView):
    """Public: the payment link's token is the only key. Rate-limited; an unknown token is a 404,
    an expired or replaced one a 410. POST needs the CSRF cookie (set by GET) in ``X-CSRFToken``."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        limited = check_request(request, group=PAY_GROUP, token=kwargs["token"])
        if limited:
            raise RateLimited(wait=limited.retry_after)
        if request.method == "POST":
            self.enforce_csrf(request._request)

    @staticmethod
    def enforce_csrf(django_request):
        # As SessionAuthentication does it: the same check as the pay page's forms.
        check = CsrfViewMiddleware(lambda request: None)
        check.process_request(django_request)
        reason = check.process_view(django_request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(_("Reload the page and try again (CSRF check failed)."))

    def finalize_response(self, request, response, *args, **kwargs):
        return protect_token_response(super().finalize_response(request, response, *args, **kwargs))

    def open_invoice(self, request, token):
        site = Site.find_for_request(request._request)
        if site is None:
            raise PaymentLinkInvalid(_("This payment link is not valid."))
        invoice = resolve_payment_link(token, site=site)
        return site, invoice

    @extend_schema(
        summary="What the pay page shows (public; the token is the key)", responses={200: PayableInvoiceSerializer}
    )
    def get(self, request, token):
        site, invoice = self.open_invoice(request, token)
        if pay_page_for_site(site) is None:
            raise PaymentLinkInvalid(_("This payment link is not valid."))
        get_token(request._request)  # the CSRF cookie for the POST
        context = {
            "invoice": invoice,
            **asdict(pay_options(invoice)),
            "pdf_url": pay_link_url(site, token) + "pdf/",
            "amount_due_now": str(amounts_due(invoice).now),
            "instalments": instalments_data(invoice),
        }
        return Response(PayableInvoiceSerializer(context).data)

    @extend_schema(
        summary="Start a card payment, or pay with credit (public; the token is the key)",
        request=PayRequestSerializer,
        responses={200: PayResultSerializer},
    )
    def post(self, request, token):
        _site, invoice = self.open_invoice(request, token)
        serializer = PayRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        method, amount = serializer.validated_data["method"], serializer.validated_data.get("amount")
        refused = refusal(invoice, method=method)
        if refused:
            raise PaymentRejected(refused)
        if method == "card":
            checkout = start_card_payment(invoice, amount=amount)
            body = {
                "method": method,
                "amount": str(checkout.amount),
                "currency": checkout.currency,
                "intent_id": checkout.intent_id,
                "client_secret": checkout.client_secret,
                "publishable_key": checkout.publishable_key,
            }
        else:
            result = pay_with_credit(invoice, amount=amount)
            invoice.refresh_from_db()
            body = {
                "method": method,
                "amount": str(result.payment.amount),
                "currency": invoice.currency,
                "payment": result.payment,
                "amount_due": str(invoice.amount_due),
                "payment_link": result.new_link,
            }
        return Response(PayResultSerializer(body).data)
