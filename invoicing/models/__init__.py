# Wagtail's settings and pages live in their own modules (see DESIGN.md); importing them here
# registers them with the app.
from ..settings import BillingSettings
from .access import SiteBillingAccess, SiteRole
from .accounts import SignInLink
from .autocharge import AutoCharge, SavedCard
from .clients import Client
from .credit_notes import CreditNote, CreditNoteLine
from .discounts import DiscountCode, DiscountRedemption
from .events import InvoiceEvent
from .invoices import Invoice, InvoiceLine, PaymentLink
from .jobs import BulkJob
from .log_entries import BillingLogEntry
from .numbering import InvoiceSequence
from .outbox import EmailAttempt, OutboundEmail
from .pages import BillingAccountPage, InvoiceEmailTemplatePage, PayPage
from .payments import CreditEntry, Payment, PaymentMethod, Refund
from .plans import Instalment
from .recurring import InvoiceTemplate, InvoiceTemplateLine, RecurringSchedule
from .reminders import InvoiceReminder
from .stripe import CardPayment, StripeEvent
from .tax import TaxRate

__all__ = [
    "TaxRate",
    "Instalment",
    "DiscountRedemption",
    "DiscountCode",
    "CreditNoteLine",
    "CreditNote",
    "AutoCharge",
    "BillingAccountPage",
    "BillingLogEntry",
    "BillingSettings",
    "BulkJob",
    "CardPayment",
    "Client",
    "CreditEntry",
    "EmailAttempt",
    "Invoice",
    "InvoiceEmailTemplatePage",
    "InvoiceEvent",
    "InvoiceLine",
    "InvoiceReminder",
    "InvoiceTemplate",
    "InvoiceTemplateLine",
    "InvoiceSequence",
    "OutboundEmail",
    "Payment",
    "PaymentLink",
    "PaymentMethod",
    "PayPage",
    "RecurringSchedule",
    "Refund",
    "SavedCard",
    "SignInLink",
    "SiteBillingAccess",
    "SiteRole",
    "StripeEvent",
]
