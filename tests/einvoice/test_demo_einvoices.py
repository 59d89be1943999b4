"""Every invoice and credit note the demo issues, on both websites, is a valid e-invoice in both
syntaxes (issue #17): the demo is what a newcomer downloads first."""

from io import StringIO

import pytest
from django.core.management import call_command

from invoicing.models import CreditNote, Invoice
from invoicing.services.einvoices import einvoice_xml

from .test_matrix import assert_valid

pytestmark = pytest.mark.django_db


def test_every_issued_document_of_the_demo_passes_the_en16931_rules(en16931, ubl_xsd):
    call_command("seed_demo", stdout=StringIO())
    documents = [*Invoice.objects.exclude(status="draft").order_by("pk"), *CreditNote.objects.order_by("pk")]
    websites = {document.site.hostname for document in documents}
    assert websites == {"acme.localhost", "globex.localhost"} and len(documents) > 20
    for document in documents:
        cii, ubl = einvoice_xml(document, "cii"), einvoice_xml(document, "ubl")
        assert_valid(cii, ubl, en16931, ubl_xsd)
