"""Invoice templates and recurring schedules for the admin's tests, made as the admin would."""

from datetime import date
from decimal import Decimal

from invoicing.models import InvoiceTemplate, InvoiceTemplateLine, RecurringSchedule
from tests.factories import ClientFactory

HOSTING = [("Hosting for {period_label}", "1", "100.00", "20"), ("Support hours", "2", "25.00", "0")]


def invoice_template(site, *, name="Monthly hosting", client=None, lines=HOSTING, currency="EUR", **fields):
    template = InvoiceTemplate.objects.create(
        site=site, name=name, client=client, title=fields.pop("title", "Hosting"), currency=currency, **fields
    )
    for description, quantity, unit_price, tax_rate in lines:
        InvoiceTemplateLine.objects.create(
            template=template,
            description=description,
            quantity=Decimal(quantity),
            unit_price=Decimal(unit_price),
            tax_rate=Decimal(tax_rate),
        )
    return template


def recurring_schedule(site, *, name="Hosting, monthly", template=None, client=None, **fields):
    client = client or ClientFactory(site=site)
    fields.setdefault("start_date", date(2026, 1, 31))
    fields.setdefault("action", RecurringSchedule.Action.DRAFT)
    return RecurringSchedule.objects.create(
        site=site,
        name=name,
        template=template or invoice_template(site, name=f"{name} template"),
        client=client,
        **fields,
    )
