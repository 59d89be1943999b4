from django.db import models


class InvoiceSequence(models.Model):
    """The last number handed out per website, document kind and period; locked while a number is
    assigned."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="+")
    # The year when the site's format contains {year}, else empty: one sequence for ever.
    period = models.CharField(max_length=8, blank=True)
    document = models.CharField(max_length=16, default=INVOICE)
    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "document", "period"], name="invoicing_unique_document_sequence")
        ]

    def __str__(self):
        return f"{self.site_id}/{self.document}/{self.period or '-'}: {self.last_number}"
