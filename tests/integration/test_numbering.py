import pytest
from django.db import transaction
from django.utils import timezone

from invoicing.models import BillingSettings, Invoice
from invoicing.services.invoices import issue_invoice
from tests.factories import draft_invoice, make_website


def issue(site, count):
    numbers = []
    for _ in range(count):
        invoice = draft_invoice(site)
        issue_invoice(invoice)
        numbers.append(invoice.number)
    return numbers


def test_numbers_are_sequential_and_formatted_per_site(site_a, site_b):
    year = timezone.localdate().year
    assert issue(site_a, 3) == [f"ACME-{year}-00001", f"ACME-{year}-00002", f"ACME-{year}-00003"]
    assert issue(site_b, 2) == [f"GLX-{year}-00001", f"GLX-{year}-00002"]


def test_a_format_without_year_never_resets(db):
    site = make_website("noyear.test", prefix="N", number_format="{prefix}{number:04}")
    assert issue(site, 2) == ["N0001", "N0002"]


def test_drafts_have_no_number(site_a):
    assert draft_invoice(site_a).number == ""


def test_a_rolled_back_issue_gives_its_number_back(site_a):
    invoice = draft_invoice(site_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_invoice(invoice)
        raise RuntimeError("the request failed after issuing")
    assert Invoice.objects.get(pk=invoice.pk).number == ""
    assert issue(site_a, 1)[0].endswith("-00001")


def test_changing_the_format_applies_to_the_next_number(site_a):
    issue(site_a, 1)
    billing = BillingSettings.for_site(site_a)
    billing.number_format = "{prefix}/{number}".replace("/", "-")
    billing.save()
    assert issue(site_a, 1) == ["ACME-1"]
