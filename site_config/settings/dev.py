"""One machine, embedded defaults: SQLite, the DB task worker, console email, localstripe."""

import os

from .base import *  # noqa: F403
from .base import env_list

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-use-in-production"  # noqa: F405
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,.localhost")
# localstripe (no STRIPE_SECRET_KEY): its fake Stripe.js has no Payment Element, so the pay page
# uses its card widget instead (invoicing/http.py). Never set in production.
STRIPE_OFFLINE_JS = not os.environ.get("STRIPE_SECRET_KEY")
