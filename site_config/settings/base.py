"""Settings shared by every environment. Everything that differs comes from the environment."""

import os
from pathlib import Path

import dj_database_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "home",
    "invoicing",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "site_config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "site_config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Background work: django-tasks with the database backend; `manage.py db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

CACHES = {
    "default": {
        "BACKEND": os.environ.get("CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": os.environ.get("CACHE_LOCATION", "invoicing"),
        # Hosts that share a cache share the prefix; anything else on the same Redis keeps its own.
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", ""),
    }
}
if "redis" in CACHES["default"]["BACKEND"].lower():
    # A Redis that hangs costs a request a few of these, not minutes (see invoicing/cache.py).
    redis_timeout = float(os.environ.get("CACHE_SOCKET_TIMEOUT", "0.5"))
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": redis_timeout, "socket_timeout": redis_timeout}

# Email: anymail picks the ESP in production; dev writes to the console.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@example.com")
# Seconds an SMTP server may keep a worker waiting: without a timeout, one that never answers holds
# the worker forever (the lease sweep takes the email back, but the worker stays stuck).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
ANYMAIL = {}
if os.environ.get("ANYMAIL_ESP_API_KEY"):
    ANYMAIL[os.environ.get("ANYMAIL_ESP_SETTING", "POSTMARK_SERVER_TOKEN")] = os.environ["ANYMAIL_ESP_API_KEY"]
# "user:password" of the HTTP basic auth that the ESP's tracking webhook sends, e.g.
# https://user:password@billing.example.com/anymail/postmark/tracking/
if os.environ.get("ANYMAIL_WEBHOOK_SECRET"):
    ANYMAIL["WEBHOOK_SECRET"] = os.environ["ANYMAIL_WEBHOOK_SECRET"]
# A client on the recovery page gets at most one fresh link per invoice in this many minutes.
INVOICING_FRESH_LINK_MINUTES = int(os.environ.get("INVOICING_FRESH_LINK_MINUTES", "15"))
# Pay-page requests per minute, per client IP and per payment link (invoicing/ratelimit.py), counted
# in the default cache; behind load balancers, INVOICING_TRUSTED_PROXIES says how many append to
# X-Forwarded-For, so that the client's own address is counted.
INVOICING_RATE_LIMITS = {
    "ip": int(os.environ.get("INVOICING_RATE_LIMIT_PER_IP", "60")),
    "token": int(os.environ.get("INVOICING_RATE_LIMIT_PER_LINK", "30")),
}
INVOICING_TRUSTED_PROXIES = int(os.environ.get("INVOICING_TRUSTED_PROXIES", "0"))
# Bulk-export ZIPs: beside, never inside, the served MEDIA_ROOT and STATIC_ROOT (check invoicing.E005);
# `manage.py purge_invoicing_exports`, hourly from cron, deletes them after this many hours.
INVOICING_EXPORTS_ROOT = Path(os.environ.get("INVOICING_EXPORTS_ROOT", BASE_DIR / "var" / "private" / "exports"))
INVOICING_EXPORT_MAX_AGE_HOURS = int(os.environ.get("INVOICING_EXPORT_MAX_AGE_HOURS", "24"))

# Stripe: without a secret key, everything goes to localstripe on this machine (invoicing/conf.py).
# An empty value means the module's default.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
LOCALSTRIPE_URL = os.environ.get("LOCALSTRIPE_URL", "http://127.0.0.1:8420")

WAGTAIL_SITE_NAME = "Invoicing"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://localhost:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "txt", "xlsx", "zip"]

# Payment-link tokens are redacted from every log record by the invoicing app itself.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "invoicing": {"handlers": ["console"], "level": os.environ.get("INVOICING_LOG_LEVEL", "INFO")},
    },
}
