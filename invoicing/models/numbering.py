from django.db import models


class InvoiceSequence(models.Model):
    """The last number handed out per website and period; locked while a number is assigned."""

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="+")
    # The year when the site's format contains {year}, else empty: one sequence for ever.
    period = models.CharField(max_length=8, blank=True)
    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "period"], name="invoicing_unique_sequence")]

    def __str__(self):
        return f"{self.site_id}/{self.period or '-'}: {self.last_number}"
