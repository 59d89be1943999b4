"""A panel on Wagtail's group page: the websites whose billing the group's members may see and
act on. It narrows; the invoicing permissions above it allow, on these websites only. Saved as
``SiteBillingAccess`` rows."""

from django import forms
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from wagtail.models import Site

from ..models import SiteBillingAccess


class BillingSitesForm(forms.Form):
    template_name = "invoicing/admin/billing_sites_panel.html"
    icon = "site"

    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.order_by("site_name", "hostname", "port"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Websites"),
        help_text=_(
            "Members of this group see the invoices, clients, payments and reports of these websites, and "
            "this group's invoicing permissions count on these websites only. Superusers see every website."
        ),
    )

    def __init__(self, *args, instance, **kwargs):
        # ``instance`` is the group: unsaved when the group is being created.
        self.instance = instance
        kwargs.setdefault("prefix", "invoicing_billing_sites")
        if instance is not None and instance.pk is not None:
            kwargs["initial"] = {"sites": list(self.granted().values_list("site_id", flat=True))}
        super().__init__(*args, **kwargs)

    def granted(self):
        return SiteBillingAccess.objects.filter(group=self.instance)

    def as_admin_panel(self):
        return render_to_string(
            self.template_name,
            {"heading": _("Billing websites"), "form": self, "panel_id": "invoicing-billing-sites"},
        )

    @transaction.atomic
    def save(self):
        chosen = {site.pk for site in self.cleaned_data["sites"]}
        self.granted().exclude(site_id__in=chosen).delete()
        already = set(self.granted().values_list("site_id", flat=True))
        SiteBillingAccess.objects.bulk_create(
            [SiteBillingAccess(group=self.instance, site_id=site_id) for site_id in chosen - already]
        )
