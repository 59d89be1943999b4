"""One invoice email, composed: subject, HTML with inlined CSS, and a plain-text alternative.

Pure: it reads the template page, the billing settings and the invoice (saved or not, so that
the page's preview can use a sample) and writes nothing.
"""

import re
from dataclasses import dataclass

import css_inline
from babel.dates import format_date
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..core.money import format_money
from .kinds import KINDS_WITH_PAY_LINK, EmailKind
from .placeholders import fill
from .sanitize import rich_text_to_plain, sanitize_rich_text

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOURS = ("#1d4ed8", "#f59e0b")


@dataclass(frozen=True)
class ComposedEmail:
    subject: str
    html: str
    text: str


def placeholder_values(invoice, *, locale, pay_url, early_price=None, early_until=None):
    """``early_price``/``early_until``: what paying everything costs until the early-payment
    discount's last day, where one applies (``services.amounts_due``); empty values otherwise."""
    client_name = invoice.billing_name or invoice.client.name
    early = early_price is not None and early_until is not None
    return {
        "client_name": client_name,
        "invoice_number": invoice.number,
        "amount": format_money(invoice.total, invoice.currency, locale),
        "amount_due": format_money(invoice.amount_due, invoice.currency, locale),
        "currency": invoice.currency,
        "due_date": format_date(invoice.due_date, format="long", locale=locale) if invoice.due_date else "",
        "title": invoice.title,
        "description": invoice.description,
        "website_name": invoice.site.site_name or invoice.site.hostname,
        "pay_link": pay_url or "",
        "early_payment_amount": format_money(early_price, invoice.currency, locale) if early else "",
        "early_payment_date": format_date(early_until, format="long", locale=locale) if early else "",
    }


def percent_text(percent):
    """``2`` for 2.00, ``2.5`` for 2.50."""
    return format(percent.normalize(), "f")


def discount_line(invoice, *, locale):
    """The discount code's line (its label and the amount off), or None."""
    if not invoice.discount_label or not invoice.discount_total:
        return None
    return {"label": invoice.discount_label, "amount": format_money(-invoice.discount_total, invoice.currency, locale)}


def early_payment_line(invoice, values):
    """The line under the amount due while the discount applies: "Pay 98.00 EUR by 17 December
    2026 and save 2 %"."""
    if not values["early_payment_amount"]:
        return ""
    return _("Pay %(amount)s by %(date)s and save %(percent)s %%") % {
        "amount": values["early_payment_amount"],
        "date": values["early_payment_date"],
        "percent": percent_text(invoice.early_discount_percent),
    }


def _colour(value, default):
    # Validated when saved; checked again because it is written into a style attribute.
    return value if HEX_COLOUR.match(value or "") else default


def compose_email(
    template,
    kind,
    invoice,
    *,
    locale,
    pay_url=None,
    payment=None,
    logo_url=None,
    account_url="",
    failure_reason="",
    step=None,
    early_price=None,
    early_until=None,
):
    """``template`` is the site's ``InvoiceEmailTemplatePage`` (or an unsaved one with defaults);
    ``account_url`` is the plain link to the client's billing account page, never a signed-in one;
    ``failure_reason`` is why a saved card could not be charged (failed-charge emails only); ``step``
    is a scheduled reminder's step (``core.reminder_steps``), for its own wording; ``early_price``
    and ``early_until``, the early-payment discount's price and last day where one applies now."""
    kind = EmailKind(kind)
    wording = template.wording(kind, step=step)
    asks_for_payment = kind in KINDS_WITH_PAY_LINK
    values = placeholder_values(
        invoice,
        locale=locale,
        pay_url=pay_url if asks_for_payment else None,
        early_price=early_price if asks_for_payment else None,
        early_until=early_until if asks_for_payment else None,
    )
    if kind == EmailKind.CHARGE_FAILED:
        values["failure_reason"] = failure_reason
    # Sanitised before filling, so that values are escaped text and never become markup.
    body_html = fill(sanitize_rich_text(wording.body), values, html=True)
    context = {
        "kind": kind,
        # A header: one line, and never HTML-escaped (the send refuses CR and LF, see services.delivery).
        "subject": fill(wording.subject, values, html=False),
        "preheader": fill(wording.preheader, values, html=False),
        "body_html": mark_safe(body_html),  # noqa: S308 - sanitised above, values escaped by fill()
        "body_text": rich_text_to_plain(body_html, paragraph_break="\n\n"),
        # A receipt has no pay button of its own; after a partial payment it carries the new link
        # for the rest (the one the client had was replaced), which editors cannot remove.
        "button_label": fill(wording.button_label, values, html=False) or _("Pay the rest"),  # autoescaped
        "pay_url": (pay_url or "") if kind in KINDS_WITH_PAY_LINK or invoice.amount_due > 0 else "",
        **email_frame(template, website_name=values["website_name"], logo_url=logo_url),
        "account_url": account_url,
        "values": values,
        "payment_amount": format_money(payment.amount, payment.currency, locale) if payment else "",
        "discount_line": discount_line(invoice, locale=locale),
        "early_payment_line": early_payment_line(invoice, values),
    }
    html = render_to_string("invoicing/email/message.html", context)
    text = render_to_string("invoicing/email/message.txt", context)
    return ComposedEmail(subject=context["subject"], html=css_inline.inline(html), text=text.strip() + "\n")


def email_frame(template, *, website_name, logo_url):
    """What ``invoicing/email/base.html`` draws around every email: the website's branding."""
    footer_html = sanitize_rich_text(template.footer)
    return {
        "brand_color": _colour(template.brand_color, DEFAULT_COLOURS[0]),
        "accent_color": _colour(template.accent_color, DEFAULT_COLOURS[1]),
        "logo_url": logo_url,
        "website_name": website_name,
        "footer_html": mark_safe(footer_html),  # noqa: S308 - sanitised above
        "footer_text": rich_text_to_plain(footer_html),
    }
