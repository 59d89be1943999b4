"""Payment providers behind one interface (``base.PaymentProvider``). A new provider is one module
and one line in ``PROVIDERS``."""

from django.utils.module_loading import import_string

PROVIDERS = {
    "stripe": "invoicing.providers.stripe.StripeProvider",
}


def get_provider(name="stripe"):
    """A provider configured from the current settings (tests change them, so nothing is cached)."""
    return import_string(PROVIDERS[name]).from_settings()
