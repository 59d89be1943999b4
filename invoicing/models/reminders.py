from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceReminder(models.Model):
    """One reminder step of one invoice, sent or skipped: each step happens once per invoice.

    A step is skipped when a later one was due too (after downtime only the latest goes out).
    """

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(_("step"), max_length=32)
    due_on = models.DateField(_("due on"))
    email = models.ForeignKey(
        "invoicing.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    skipped = models.BooleanField(_("skipped"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"], name="invoicing_one_reminder_per_invoice_step"),
        ]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")

    def __str__(self):
        return f"{self.invoice} {self.step}"
