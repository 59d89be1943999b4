"""The outbox: every invoice email is stored here first, in the transaction that asked for it,
then sent by a task after commit. Attempts, errors and delivery events stay with it."""

from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..mail.kinds import EmailKind


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Waiting to retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        REQUESTED = "requested", _("Sent on request")
        PAYMENT = "payment", _("Payment received")
        FRESH_LINK = "fresh_link", _("Client asked for a fresh link")
        SCHEDULE = "schedule", _("Scheduled reminder")
        AUTO_CHARGE = "auto_charge", _("Automatic charge failed")

    class Delivery(models.TextChoices):
        UNKNOWN = "", _("Not reported")
        DELIVERED = "delivered", _("Delivered")
        OPENED = "opened", _("Opened")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE, related_name="emails")
    # Set for receipts: one automatic receipt per payment, however often the payment is applied.
    payment = models.ForeignKey(
        "invoicing.Payment", on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EmailKind.choices)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.REQUESTED)
    to_email = models.CharField(_("to"), max_length=254)
    from_email = models.CharField(_("from"), max_length=320)
    reply_to = models.CharField(_("reply-to"), max_length=254, blank=True)
    subject = models.TextField(_("subject"))
    # The rendered message; the pay link's token is redacted from these once the email is sent.
    html_body = models.TextField()
    text_body = models.TextField()
    pay_url = models.TextField(blank=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    esp_message_id = models.CharField(_("ESP message id"), max_length=255, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The current attempt's lease: when a worker claimed the row, and when it began handing the
    # message to the mail server (committed before the server sees a byte of it).
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    handoff_started_at = models.DateTimeField(_("hand-off started at"), null=True, blank=True)
    delivery_updated_at = models.DateTimeField(_("delivery reported at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=models.Q(trigger="payment"),
                name="invoicing_one_email_per_payment_and_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def summary(self):
        return email_summary(self.status, self.delivery)

    @property
    def message_id(self):
        """The Message-ID header of every attempt at this row, the same whichever worker sends it:
        a mail server, an ESP or an inbox that drops a second copy with the same id can do so."""
        domain = parseaddr(self.from_email)[1].rpartition("@")[2] or "invoicing.invalid"
        return f"<invoice-email-{self.pk}.{self.created_at:%Y%m%d%H%M%S}@{domain}>"


def email_summary(status, delivery):
    """(label, needs attention) for an email: a bounce or complaint outranks "sent"."""
    if delivery:
        label = OutboundEmail.Delivery(delivery).label
        return label, delivery in (OutboundEmail.Delivery.BOUNCED, OutboundEmail.Delivery.COMPLAINED)
    return OutboundEmail.Status(status).label, status == OutboundEmail.Status.FAILED


class EmailAttempt(models.Model):
    """One try at handing an email to the mail server or ESP."""

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    succeeded = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    attempted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["email", "number"], name="invoicing_unique_email_attempt")]
        verbose_name = _("email attempt")
        verbose_name_plural = _("email attempts")

    def __str__(self):
        return f"#{self.number} {'ok' if self.succeeded else self.error[:80]}"
