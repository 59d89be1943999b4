"""What the invoice endpoints read to create or edit a draft: the website, the client, the lines
(with their tax rates from the website's catalogue) or an invoice template. Totals are never read;
the services compute them."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from wagtail.models import Site

from ..core.exceptions import ValidationFailed
from ..core.money import CURRENCY_CHOICES
from ..models import Client, Invoice, InvoiceTemplate
from ..models.access import billing_sites, has_site_permission, scope_to_user
from ..services.tax import active_rates, default_rate, resolve_line_tax
from ..services.templates import template_fields
from .serializers import MAX_DUE_DAYS_AHEAD, MAX_LINES, LineSerializer


class InvoiceWriteSerializer(serializers.Serializer):
    """Create or edit a draft. ``issue`` issues it at once; ``send_email`` also emails it."""

    website = serializers.PrimaryKeyRelatedField(queryset=Site.objects.none())
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, max_length=10_000)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, required=False, help_text=_("Default: the website's."))
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("Default: today plus the website's payment terms.")
    )
    allow_partial_payments = serializers.BooleanField(required=False)
    prices_include_tax = serializers.BooleanField(
        required=False, help_text=_("Unit prices include tax. Default: as the website's default tax rate says.")
    )
    buyer_reference = serializers.CharField(
        max_length=100,
        allow_blank=True,
        required=False,
        help_text=Invoice._meta.get_field("buyer_reference").help_text,
    )
    lines = LineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    issue = serializers.BooleanField(default=False, write_only=True, help_text=_("Issue it: number and pay link."))
    send_email = serializers.BooleanField(default=False, write_only=True, help_text=_("Issue it and email it."))
    template = serializers.PrimaryKeyRelatedField(
        queryset=InvoiceTemplate.objects.none(),
        required=False,
        write_only=True,
        help_text=_("Fill the draft from this invoice template; the fields given override the template's."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No request while the schema is generated: then nothing can be chosen.
        user = getattr(self.context.get("request"), "user", None)
        self.fields["website"].queryset = billing_sites(user)
        self.fields["client"].queryset = scope_to_user(Client.objects.all(), user)
        self.fields["template"].queryset = scope_to_user(InvoiceTemplate.objects.all(), user)
        if self.instance is not None:
            # Issuing is its own step once the draft exists; creating can do both at once.
            del self.fields["issue"], self.fields["send_email"], self.fields["template"]
        elif isinstance(kwargs.get("data"), dict) and kwargs["data"].get("template") is not None:
            for name in ("website", "client", "title", "lines"):  # the template gives them
                self.fields[name].required = False

    def validate_due_date(self, value):
        if value and value > timezone.localdate() + timedelta(days=MAX_DUE_DAYS_AHEAD):
            raise serializers.ValidationError(_("A due date more than ten years ahead is surely a mistake."))
        return value

    def validate(self, attrs):
        named_website = "website" in attrs
        if attrs.get("template") is not None:
            attrs = self.filled_from_template(attrs)
        if attrs.get("website") is not None:
            self.check_website_permission(attrs["website"], field="website" if named_website else "template")
        site = attrs.get("website") or getattr(self.instance, "site", None)
        client = attrs.get("client") or getattr(self.instance, "client", None)
        if site and client and client.site_id != site.pk:
            raise serializers.ValidationError({"client": _("This client belongs to another website.")})
        if site and attrs.get("lines"):
            attrs["lines"] = lines_with_tax(site, attrs["lines"])
        return attrs

    def check_website_permission(self, site, *, field):
        """A website you see but where your roles do not let you create invoices is refused like
        one you do not see: a 400 on ``field``. Moving a draft to another website creates it there."""
        if self.instance is not None and self.instance.site_id == site.pk:
            return  # the draft's own website: the view checked the change permission on the draft
        user = getattr(self.context.get("request"), "user", None)
        if not has_site_permission(user, "invoicing.add_invoice", site):
            raise serializers.ValidationError(
                {field: [_("Your roles on this website do not allow creating invoices.")]}
            )

    def filled_from_template(self, attrs):
        template = attrs.pop("template")
        if attrs.get("website") not in (None, template.site):
            raise serializers.ValidationError({"template": _("This template belongs to another website.")})
        try:
            fields = template_fields(template, client=attrs.get("client"))
        except ValidationFailed as exc:
            raise serializers.ValidationError({"client": exc.message}) from None
        fields["website"] = fields.pop("site")
        return {**fields, **attrs}

    def service_fields(self):
        """The validated data as the invoice services name it."""
        data = dict(self.validated_data)
        data.pop("issue", None)
        data.pop("send_email", None)
        if "website" in data:
            data["site"] = data.pop("website")
        return data


def lines_with_tax(site, lines):
    """The lines with their tax resolved against the website's catalogue
    (``services.tax.resolve_line_tax``); an unknown, inactive or other website's rate, or a typed
    rate the catalogue lacks, is a 400 on that line. A line that names no rate at all gets the
    website's default rate (none without a catalogue: 0 %)."""
    rates = active_rates(site)
    resolved, errors = [], []
    for line in lines:
        line = dict(line)
        chosen = line.pop("tax", None)
        tax_id = line.pop("tax_id", None) or getattr(chosen, "pk", None)
        if tax_id is None and "tax_rate" not in line:
            default = default_rate(rates)
            tax_id = default.pk if default else None
        target = SimpleNamespace(tax_id=tax_id, tax=None, tax_rate=line.get("tax_rate", Decimal(0)))
        try:
            resolve_line_tax(site, target, rates=rates)
        except ValidationFailed as exc:
            field = "tax_rate_id" if tax_id is not None else "tax_rate"
            errors.append({field: [exc.message]})
            continue
        errors.append({})
        resolved.append({**line, "tax": target.tax, "tax_rate": target.tax_rate})
    if any(errors):
        raise serializers.ValidationError({"lines": errors})
    return resolved


def draft_as_input(invoice):
    """A draft as ``InvoiceWriteSerializer`` takes it: a PATCH is merged into this, then validated
    whole, so that a partial update can never leave half a line."""
    return {
        "website": invoice.site_id,
        "client": invoice.client_id,
        "title": invoice.title,
        "description": invoice.description,
        "currency": invoice.currency,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "allow_partial_payments": invoice.allow_partial_payments,
        "prices_include_tax": invoice.prices_include_tax,
        "buyer_reference": invoice.buyer_reference,
        "lines": [
            {
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "tax_rate": str(line.tax_rate),
                "tax_rate_id": line.tax_id,
            }
            for line in invoice.lines.all()
        ],
    }
