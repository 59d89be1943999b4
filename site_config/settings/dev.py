"""One machine, embedded defaults: SQLite, the DB task worker, console email, localstripe (with
DEBUG and no STRIPE_SECRET_KEY, the pay page uses localstripe's card widget: invoicing/conf.py)."""

from .base import *  # noqa: F403
from .base import env_list

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-use-in-production"  # noqa: F405
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,.localhost")
