"""A website with e-invoices on, a client they can be made for, and the XML read back: shared by
the tests of the e-invoice downloads (admin, API, client pages) and of the system checks."""

from lxml import etree

from invoicing.models import BillingSettings
from tests.einvoice.readback import cii_figures, ubl_figures
from tests.factories import ClientFactory

# What EN 16931 needs of a seller (BillingSettings.EINVOICE_FIELDS), and a bank account.
SELLER = {
    "legal_name": "Acme Web GmbH",
    "address": "Hauptstraße 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
    "tax_id": "DE136695976",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
}


def turn_einvoices_on(site, **fields):
    """Saved through the model (not ``update()``), so that the pay pages' cached front sees it at once."""
    billing = BillingSettings.for_site(site)
    for name, value in {**SELLER, "einvoices_enabled": True, **fields}.items():
        setattr(billing, name, value)
    billing.save()
    return billing


def einvoice_client(site, **fields):
    return ClientFactory(site=site, country="FR", postal_code="75001", city="Paris", **fields)


def read_back(content, syntax):
    """The figures of an e-invoice downloaded in ``syntax`` (number, type code, totals), read with lxml."""
    return {"cii": cii_figures, "ubl": ubl_figures}[syntax](content)


def buyer_reference(content):
    """BT-10, wherever the syntax puts it (CII's BuyerReference, UBL's cbc:BuyerReference)."""
    return etree.fromstring(content).xpath("string(//*[local-name()='BuyerReference'])")
