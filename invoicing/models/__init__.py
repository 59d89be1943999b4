# Wagtail's settings and pages live in their own modules (see DESIGN.md); importing them here
# registers them with the app.
from ..pages import InvoiceEmailTemplatePage, PayPage
from ..settings import BillingSettings
from .clients import Client
from .events import InvoiceEvent
from .invoices import Invoice, InvoiceLine, PaymentLink
from .numbering import InvoiceSequence
from .payments import CreditEntry, Payment, PaymentMethod, Refund

__all__ = [
    "BillingSettings",
    "Client",
    "CreditEntry",
    "Invoice",
    "InvoiceEmailTemplatePage",
    "InvoiceEvent",
    "InvoiceLine",
    "InvoiceSequence",
    "Payment",
    "PaymentLink",
    "PaymentMethod",
    "PayPage",
    "Refund",
]
