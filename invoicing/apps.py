from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .core.redaction import install_log_redaction


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Django's way to connect receivers and install process-wide hooks: once every app is loaded.
        from . import checks, receivers  # noqa: F401 - registers the system checks, connects the receiver

        install_log_redaction()
