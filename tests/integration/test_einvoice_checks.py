"""The system checks of e-invoices and bank-transfer QR codes: a website whose settings were written
past the settings form (a shell, an import) is named, with what it lacks."""

import pytest
from django.core import checks

from invoicing.checks import check_einvoice_settings
from invoicing.models import BillingSettings

from .einvoice_helpers import turn_einvoices_on

pytestmark = pytest.mark.django_db


def warnings_with(check_id):
    """Through Django's registry, as ``manage.py check`` runs them: the check is registered."""
    return [message for message in checks.run_checks() if message.id == check_id]


def test_einvoices_on_without_the_sellers_details_name_the_website_and_the_fields(site_a, site_b):
    turn_einvoices_on(site_a)
    turn_einvoices_on(site_b)
    assert warnings_with("invoicing.W006") == []
    # The settings form refuses this; an update() does not.
    BillingSettings.objects.filter(site=site_b).update(legal_name="", country="")
    [warning] = warnings_with("invoicing.W006")
    assert isinstance(warning, checks.Warning)
    assert "globex.test" in warning.msg and "acme.test" not in warning.msg
    assert "legal name" in warning.msg and "country" in warning.msg and "tax id" not in warning.msg
    assert "Settings → Billing of globex.test" in warning.hint


def test_missing_details_with_einvoices_off_are_no_warning(site_a):
    BillingSettings.objects.filter(site=site_a).update(einvoices_enabled=False, legal_name="", tax_id="")
    assert [message for message in check_einvoice_settings() if message.id == "invoicing.W006"] == []


@pytest.mark.parametrize(
    ("iban", "named"),
    [("DE89370400440532013000", "an IBAN from DE"), ("", "no IBAN"), ("CH9300762011623852957", None)],
)
def test_a_swiss_qr_bill_needs_a_swiss_or_liechtenstein_iban(site_a, iban, named):
    BillingSettings.objects.filter(site=site_a).update(swiss_qr_bill=True, iban=iban)
    found = warnings_with("invoicing.W007")
    if named is None:
        assert found == []
        return
    [warning] = found
    assert "acme.test" in warning.msg and named in warning.msg


def test_a_liechtenstein_iban_or_the_qr_bill_off_are_fine(site_a):
    BillingSettings.objects.filter(site=site_a).update(swiss_qr_bill=True, iban="LI21088100002324013AA")
    assert check_einvoice_settings() == []
    BillingSettings.objects.filter(site=site_a).update(swiss_qr_bill=False, iban="DE89370400440532013000")
    assert check_einvoice_settings() == []
