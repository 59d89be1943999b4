"""The test suite: tasks run inline, email goes to anymail's test backend, hashing is fast."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105 - the test suite only
ALLOWED_HOSTS = ["*"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
INVOICING_EXPORTS_ROOT = BASE_DIR / "var" / "test-exports"  # noqa: F405
WAGTAILADMIN_BASE_URL = "http://testserver"
ANYMAIL = {"WEBHOOK_SECRET": "tracking:test-secret"}  # the delivery-tracking webhook tests authenticate with it
# Generous, so that tests never trip over each other's counts; the rate-limit tests lower them.
INVOICING_RATE_LIMITS = {"ip": 100_000, "token": 100_000}
# The tests run against localstripe, whose fake Stripe.js needs the offline card widget.
STRIPE_OFFLINE_JS = True
