"""Drafts filled from an invoice template, by a person (the admin, the API) or per period by a
recurring schedule."""

from datetime import timedelta

from babel.dates import format_date
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.exceptions import ValidationFailed
from ..mail.placeholders import fill
from ..models import BillingSettings
from .invoices import create_invoice


def period_values(period, *, locale):
    """The values of ``{period_start}``, ``{period_end}`` and ``{period_label}`` for ``period``."""
    return {
        "period_start": format_date(period.start, format="long", locale=locale),
        "period_end": format_date(period.end, format="long", locale=locale),
        "period_label": period.label(locale),
    }


def template_fields(template, *, client=None, period=None):
    """``create_invoice``'s arguments, filled from ``template``.

    The client is ``client``, else the template's. With a ``period`` (a ``core.periods.Period``),
    the invoice is dated the period's start, its due date is that date plus the payment terms,
    and the period placeholders in the title, the description and the lines are filled. Without
    one, the invoice is dated today and the placeholders are left as they are, for the person
    editing the draft to replace: a template is not tied to a cadence, so no period can be guessed.
    """
    client = client or template.client
    if client is None:
        raise ValidationFailed(
            _("The template “%(template)s” has no client; choose the client the invoice is for.")
            % {"template": template.name}
        )
    if client.site_id != template.site_id:
        raise ValidationFailed(
            _("The client %(client)s belongs to another website than the template “%(template)s”.")
            % {"client": client.name, "template": template.name}
        )
    billing = BillingSettings.for_site(template.site)
    if template.payment_terms_days is None:
        terms = billing.payment_terms
    else:
        terms = timedelta(days=template.payment_terms_days)
    values = period_values(period, locale=billing.locale) if period else {}
    invoice_date = period.start if period else timezone.localdate()
    return {
        "site": template.site,
        "client": client,
        "title": fill(template.title, values, html=False),
        "description": fill(template.description, values, html=False),
        "currency": template.currency,
        "due_date": invoice_date + terms,
        "allow_partial_payments": template.allow_partial_payments,
        "lines": [
            {
                "description": fill(line.description, values, html=False),
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "tax_rate": line.tax_rate,
                "tax": line.tax,
            }
            for line in template.lines.select_related("tax")
        ],
    }


def draft_from_template(template, *, client=None, by=None, period=None):
    """A new draft invoice filled from ``template`` (see ``template_fields``)."""
    return create_invoice(by=by, **template_fields(template, client=client, period=period))
