"""Settings → Billing, as an admin fills it in (issue #17): e-invoices cannot be turned on while
the seller's legal details are missing, a Swiss QR-bill needs a Swiss IBAN, and bank details are
checked and stored compact."""

import pytest
from django.urls import reverse

from invoicing.models import BillingSettings
from tests.page_forms import posted_form_data

pytestmark = pytest.mark.django_db


def post_settings(admin_client, site, **changes):
    """The settings form as the admin sees it, with ``changes``: what a browser would send back."""
    url = reverse("wagtailsettings:edit", args=["invoicing", "billingsettings", site.pk])
    return admin_client.post(url, posted_form_data(admin_client.get(url).context["form"], **changes))


def errors_of(response):
    return response.context["form"].errors if response.status_code == 200 else {}


def test_einvoices_are_refused_while_the_sellers_details_are_missing(admin_client, site_a):
    response = post_settings(admin_client, site_a, einvoices_enabled=True, legal_name="", country="", tax_id="")
    assert "legal name, address, country, tax id" in " ".join(errors_of(response)["einvoices_enabled"])
    assert not BillingSettings.for_site(site_a).einvoices_enabled


def test_einvoices_are_turned_on_with_them_and_bank_details_are_stored_compact(admin_client, site_a):
    response = post_settings(
        admin_client,
        site_a,
        einvoices_enabled=True,
        legal_name="Acme Corporation GmbH",
        address="Hauptstraße 1",
        country="DE",
        tax_id="DE136695976",
        iban="de89 3704 0044 0532 0130 00",
        bic="cobadeffxxx",
    )
    assert response.status_code == 302, errors_of(response)
    billing = BillingSettings.for_site(site_a)
    assert (billing.einvoices_enabled, billing.iban, billing.bic) == (True, "DE89370400440532013000", "COBADEFFXXX")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iban", "DE89 3704 0044 0532 0130 01", "This IBAN is not valid"),
        ("country", "XX", "“XX” is not an ISO 3166 country code"),
        ("electronic_address", "DE136695976", "scheme and the id separated by a colon"),
    ],
)
def test_bad_details_are_refused_with_what_to_give(admin_client, site_a, field, value, message):
    response = post_settings(admin_client, site_a, **{field: value})
    assert message in " ".join(errors_of(response)[field])


def test_a_swiss_qr_bill_is_refused_with_a_german_iban(admin_client, site_a):
    response = post_settings(admin_client, site_a, swiss_qr_bill=True, iban="DE89370400440532013000")
    assert "Swiss or Liechtenstein IBAN" in " ".join(errors_of(response)["swiss_qr_bill"])
    response = post_settings(admin_client, site_a, swiss_qr_bill=True, iban="CH56 0483 5012 3456 7800 9")
    assert response.status_code == 302, errors_of(response)
    assert BillingSettings.for_site(site_a).swiss_qr_bill
