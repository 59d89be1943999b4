from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteBillingAccess(models.Model):
    """Grants the members of a group billing access to one website: its invoices, clients,
    payments, events, exports and statistics. Edited on Wagtail's group page."""

    group = models.ForeignKey("auth.Group", on_delete=models.CASCADE, related_name="billing_site_access")
    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="billing_group_access")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "site"], name="invoicing_unique_billing_access"),
        ]
        verbose_name = _("billing access to a website")
        verbose_name_plural = _("billing access to websites")

    def __str__(self):
        return f"{self.group} → {self.site}"
