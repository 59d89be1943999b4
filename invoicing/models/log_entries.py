from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models.audit_log import BaseLogEntry, ModelLogEntryManager

from .access import scope_to_user


class BillingLogEntryManager(ModelLogEntryManager):
    def log_action(self, instance, action, **kwargs):
        return super().log_action(instance, action, site_id=instance.site_id, **kwargs)

    def viewable_by_user(self, user):
        # Wagtail narrows log entries by model permission only; billing also narrows by website.
        return scope_to_user(super().viewable_by_user(user), user, "site")


class BillingLogEntry(BaseLogEntry):
    """Wagtail's admin log (history, site history) for billing objects, kept per website: Wagtail's
    own log is filtered by model permission alone, so it would show every website's clients and
    invoices to anyone who may see one."""

    object_id = models.CharField(max_length=255, db_index=True)
    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="+")

    objects = BillingLogEntryManager()

    class Meta(BaseLogEntry.Meta):
        ordering = ["-timestamp", "-id"]
        verbose_name = _("billing log entry")
        verbose_name_plural = _("billing log entries")

    def __str__(self):
        return f"{self.action} on {self.object_verbose_name} {self.object_id}"
