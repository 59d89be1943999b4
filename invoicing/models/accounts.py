"""The client's billing account: one-time sign-in links, stored as hashes only."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SignInLink(models.Model):
    """A one-time link that signs a client in to their billing account on one website. The raw
    token is only ever in the email; this row keeps its SHA-256, its deadline and its one use."""

    client = models.ForeignKey("invoicing.Client", on_delete=models.CASCADE, related_name="sign_in_links")
    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The admin who sent it; empty when the client asked for it on the account page.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")

    def __str__(self):
        return f"Sign-in link {self.pk} for client {self.client_id}"

    @property
    def is_expired(self):
        return timezone.now() >= self.expires_at
