"""Discount codes as snippets, per website: a percentage or a fixed amount in one currency, with
dates, limits and a minimum. Their uses are counted by ``services.redemptions``; the listing shows
them. Applying a code to a draft is an invoice action (see ``admin/actions.py``)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from ..core.money import format_money, round_money
from ..mail.compose import percent_text
from ..models import DiscountCode
from .access import SiteScopedViewSetMixin

CODE = re.compile(r"[A-Za-z0-9-]+")
# What a code's uses were computed with: once it has been used, these no longer change.
VALUE_FIELDS = ("kind", "percent", "amount", "currency")


def code_value(code):
    if code.kind == DiscountCode.Kind.PERCENT:
        return f"{percent_text(code.percent)} %" if code.percent is not None else ""
    return format_money(code.amount, code.currency) if code.amount is not None and code.currency else ""


def code_uses(code):
    if code.max_redemptions is None:
        return str(code.times_redeemed)
    return f"{code.times_redeemed} / {code.max_redemptions}"


class DiscountCodeForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.redemptions.exists():
            # Drafts that use it follow its value: a new value is a new code.
            for name in VALUE_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("The code has been used: create a new code for another value.")

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not CODE.fullmatch(code):
            raise ValidationError(_("Use letters, digits and dashes only."))
        return code

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == DiscountCode.Kind.PERCENT:
            if data.get("percent") in (None, ""):
                self.add_error("percent", _("Give the percentage off."))
            elif data["percent"] <= 0:
                self.add_error("percent", _("The percentage must be more than zero."))
            if data.get("amount") is not None:
                data["amount"] = None  # a percentage code has no amount
        elif kind == DiscountCode.Kind.FIXED:
            if not data.get("currency"):
                self.add_error("currency", _("A fixed amount needs its currency."))
            if data.get("amount") is None or data["amount"] <= 0:
                self.add_error("amount", _("Give the amount off, more than zero."))
            elif data.get("currency") and round_money(data["amount"], data["currency"]) != data["amount"]:
                self.add_error("amount", _("%(currency)s amounts have fewer decimal places.") % data)
            data["percent"] = None
        valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("valid_until", _("The last day comes before the first."))
        max_redemptions = data.get("max_redemptions")
        if max_redemptions is not None and self.instance.pk and max_redemptions < self.instance.times_redeemed:
            self.add_error(
                "max_redemptions",
                _("It has been used %(count)s times already.") % {"count": self.instance.times_redeemed},
            )
        return data


class DiscountCodeViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    model = DiscountCode
    icon = "tag"
    menu_label = _("Discount codes")
    menu_order = 205
    add_to_admin_menu = True
    inspect_view_enabled = True
    list_display = [
        "code",
        Column("site", label=_("Website"), accessor="site.site_name", sort_key="site__site_name"),
        Column("value", label=_("Discount"), accessor=code_value),
        Column("uses", label=_("Uses"), accessor=code_uses, sort_key="times_redeemed"),
        DateColumn("valid_until", label=_("Valid until"), sort_key="valid_until"),
        BooleanColumn("active", label=_("Active"), sort_key="active"),
    ]
    list_filter = ["active", "kind", "site"]
    list_export = ["code", "kind", "percent", "amount", "currency", "times_redeemed", "max_redemptions", "active"]
    search_backend_name = None
    search_fields = ["code", "description"]
    inspect_view_fields = [
        "site",
        "code",
        "description",
        "kind",
        "percent",
        "amount",
        "currency",
        "minimum_amount",
        "valid_from",
        "valid_until",
        "max_redemptions",
        "max_per_client",
        "times_redeemed",
        "active",
    ]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [FieldRowPanel([FieldPanel("site"), FieldPanel("code")]), FieldPanel("description")],
                heading=_("Code"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("kind"),
                    FieldRowPanel([FieldPanel("percent"), FieldPanel("amount"), FieldPanel("currency")]),
                    FieldPanel("minimum_amount"),
                ],
                heading=_("Discount"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                    FieldRowPanel([FieldPanel("max_redemptions"), FieldPanel("max_per_client")]),
                    FieldPanel("active"),
                ],
                heading=_("When and how often"),
            ),
        ],
        base_form_class=DiscountCodeForm,
    )

    def get_queryset(self, request):
        return DiscountCode.objects.select_related("site")


class DiscountCodeActionForm(forms.Form):
    code = forms.CharField(
        label=_("Discount code"),
        max_length=40,
        help_text=_("A code of the invoice's website; it replaces any code the draft has."),
    )
