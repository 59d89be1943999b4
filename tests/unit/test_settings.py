"""production.py refuses to start without its essentials (run in a subprocess: settings load once)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "billing.example.com", "DATABASE_URL": "postgres://u@db/billing"}


def load_production(**overrides):
    env = {key: value for key, value in os.environ.items() if key not in GOOD and key not in overrides}
    env.update({key: value for key, value in {**GOOD, **overrides}.items() if value is not None})
    env["DJANGO_SETTINGS_MODULE"] = "site_config.settings.production"
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from invoicing.conf import invoicing_settings as i; "
        "print(s.DEBUG, i.stripe_api_base, i.stripe_webhook_secret or '(none)')"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_production_starts_with_its_essentials():
    result = load_production()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///tmp/x.db"}, "DATABASE_URL"),
        # An ESP without a webhook secret would accept forged delivery events.
        (
            {"EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend", "ANYMAIL_WEBHOOK_SECRET": None},
            "ANYMAIL_WEBHOOK_SECRET",
        ),
    ],
)
def test_production_refuses_to_start_without(missing, message):
    result = load_production(**missing)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_an_esp_with_its_webhook_secret_starts():
    result = load_production(EMAIL_BACKEND="anymail.backends.postmark.EmailBackend", ANYMAIL_WEBHOOK_SECRET="u:p")
    assert result.returncode == 0, result.stderr


def test_without_a_stripe_key_stripe_goes_to_localstripe_and_no_webhook_is_accepted():
    result = load_production(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None)
    assert result.stdout.split()[1:] == ["http://127.0.0.1:8420", "(none)"]  # not localstripe's public secret
    result = load_production(STRIPE_SECRET_KEY="sk_live_x")
    assert result.stdout.split()[1] == "https://api.stripe.com"
