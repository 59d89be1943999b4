from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceEvent(models.Model):
    """One line of an invoice's append-only timeline."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Draft updated")
        ISSUED = "issued", _("Issued")
        EMAILED = "emailed", _("Emailed")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        OPENED = "opened", _("Email opened")
        COMPLAINED = "complained", _("Email marked as spam")
        EMAIL_FAILED = "email_failed", _("Email failed")
        VIEWED = "viewed", _("Viewed")
        PAYMENT_STARTED = "payment_started", _("Payment started")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        PAYMENT_CANCELED = "payment_canceled", _("Card payment cancelled")
        PAYMENT_RECEIVED = "payment_received", _("Payment received")
        OVERPAYMENT_CREDITED = "overpayment_credited", _("Overpayment credited")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        VOIDED = "voided", _("Voided")
        UNCOLLECTIBLE = "uncollectible", _("Marked uncollectible")
        LINK_ISSUED = "link_issued", _("Payment link issued")
        LINK_ROTATED = "link_rotated", _("Payment link rotated")
        LINK_REVOKED = "link_revoked", _("Payment link revoked")
        REMINDER_SKIPPED = "reminder_skipped", _("Reminder step skipped")
        REMINDERS_PAUSED = "reminders_paused", _("Reminders paused")
        REMINDERS_RESUMED = "reminders_resumed", _("Reminders resumed")
        AUTO_CHARGE_SCHEDULED = "auto_charge_scheduled", _("Automatic charge scheduled")
        AUTO_CHARGE_FAILED = "auto_charge_failed", _("Automatic charge failed")
        AUTO_CHARGE_GAVE_UP = "auto_charge_gave_up", _("Automatic charge given up")
        PLAN_SET = "plan_set", _("Payment plan set")
        PLAN_REMOVED = "plan_removed", _("Payment plan removed")
        DISCOUNT_APPLIED = "discount_applied", _("Discount code applied")
        DISCOUNT_REMOVED = "discount_removed", _("Discount code removed")
        EARLY_DISCOUNT_TAKEN = "early_discount_taken", _("Early-payment discount taken")
        CREDIT_NOTE_ISSUED = "credit_note_issued", _("Credit note issued")

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("invoice event")
        verbose_name_plural = _("invoice events")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Invoice events are append-only.")
        super().save(*args, **kwargs)
