"""Stripe's real test mode, for the tests that need it: skipped unless STRIPE_TEST_SECRET_KEY (an
``sk_test_...`` key) is set."""

import os

import pytest

SECRET_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")


@pytest.fixture
def live_stripe(settings):
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_TEST_PUBLISHABLE_KEY", "pk_test_unused")
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    import stripe  # only the test plays the browser's part; the module itself goes through its provider

    return stripe.StripeClient(SECRET_KEY)
