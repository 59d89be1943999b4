"""The fixed list of placeholders editors may use, and their substitution.

Substitution is a regular expression over ``{name}``: user text is never given to
``str.format`` or compiled as a Django template, so ``{x.__class__}`` or
``{{ settings.SECRET_KEY }}`` can do nothing. Unknown names are refused when the page is saved,
and rendered literally if they ever reach a send.
"""

import re

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .kinds import KINDS_WITH_PAY_LINK, EmailKind

PLACEHOLDERS = {
    "client_name": _("the client's name"),
    "invoice_number": _("the invoice number"),
    "amount": _("the invoice total, with its currency"),
    "amount_due": _("the amount still due, with its currency"),
    "currency": _("the currency code, e.g. EUR"),
    "due_date": _("the due date"),
    "title": _("the invoice title"),
    "description": _("the invoice description"),
    "website_name": _("the website's name"),
    "pay_link": _("the payment link (new invoices and reminders only)"),
    "failure_reason": _("why the saved card could not be charged (failed card charges only)"),
    "early_payment_amount": _("what paying now costs with the early-payment discount (empty when none applies)"),
    "early_payment_date": _("the last day of the early-payment discount (empty when none applies)"),
}

# Placeholders that only some kinds of email can fill; the others may use every placeholder.
ONLY_IN_KINDS = {
    "pay_link": KINDS_WITH_PAY_LINK,
    "failure_reason": frozenset({EmailKind.CHARGE_FAILED}),
    "early_payment_amount": KINDS_WITH_PAY_LINK,
    "early_payment_date": KINDS_WITH_PAY_LINK,
}


def allowed_placeholders(kind):
    return {name: label for name, label in PLACEHOLDERS.items() if kind in ONLY_IN_KINDS.get(name, (kind,))}


# Anything in single braces, so that typos such as {client_nme} and attempts such as
# {x.__class__} or {% load %} are all caught, not only well-formed names.
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders_in(text):
    return [match.group(1) for match in PLACEHOLDER.finditer(text or "")]


def unknown_placeholders(text, allowed=PLACEHOLDERS):
    return sorted({f"{{{name}}}" for name in placeholders_in(text) if name not in allowed})


def fill(text, values, *, html):
    """``text`` with each known placeholder replaced by its value, HTML-escaped when ``html``."""

    def substitute(match):
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = str(values[name])
        return escape(value) if html else value

    return PLACEHOLDER.sub(substitute, text or "")
