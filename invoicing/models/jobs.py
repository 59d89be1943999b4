from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class BulkJob(models.Model):
    """An admin's bulk action on many invoices, run by a task. Each invoice succeeds or fails on
    its own; the failures keep their reason, and the admin watches the counts grow.

    A running job is leased to one worker (``lease_token``) for as long as its ``heartbeat_at``
    keeps moving; ``cursor`` says how many of ``invoice_ids`` are handled, and moves in the same
    transaction as each invoice's action (``services.bulk``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    action = models.CharField(_("action"), max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("started by")
    )
    # What the action needs beyond the invoices, such as the reason for voiding.
    params = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    invoice_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # [{"invoice": id, "label": "ACME-2026-00042 · Website", "reason": "…"}]
    failures = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How many of invoice_ids (in their order) are handled: a resumed run starts there.
    cursor = models.PositiveIntegerField(default=0)
    # The last sign of life: queued, claimed by a worker, or one more invoice handled.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # The running worker's secret for this run; a worker whose token is gone has lost the job.
    lease_token = models.CharField(max_length=32, blank=True, default="")
    # How many times a worker took the job: more than one means it was resumed after a worker stopped.
    runs = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")

    def __str__(self):
        return f"{self.action} × {self.total} ({self.get_status_display()})"

    @property
    def processed(self):
        return self.succeeded + self.failed

    @property
    def percent(self):
        return 100 if not self.total else round(100 * self.processed / self.total)
