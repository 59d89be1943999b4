"""The demo data of ``manage.py seed_demo``: two websites, each with its own branding."""

import io
from datetime import timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from invoicing.core.periods import add_months, month_day

ACME = {
    "hostname": "acme.localhost",
    "site_name": "Acme Corp",
    "slug": "acme",
    "intro": "<p>Acme Corp builds websites that sell.</p>",
    "brand_color": "#1d4ed8",
    "accent_color": "#f59e0b",
    "footer": "<p>Acme Corporation GmbH · Hauptstraße 1 · 10115 Berlin · VAT DE136695976</p>",
    "emails": {
        "sender_name": "Acme Corp Billing",
        "invoice_subject": "Your Acme invoice {invoice_number} ({amount_due})",
        "invoice_preheader": "{title}: {amount_due}, due {due_date}",
        "invoice_body": (
            "<p>Dear {client_name},</p>"
            "<p>thank you for working with Acme Corp. Attached is invoice <b>{invoice_number}</b> for "
            "<i>{title}</i>, over {amount}.</p>"
            "<p>Please pay {amount_due} by {due_date}. You can pay by card or with your account credit.</p>"
        ),
        "invoice_button_label": "Pay invoice",
        "reminder_subject": "Friendly reminder: Acme invoice {invoice_number}",
        "reminder_preheader": "{amount_due} is still open on {invoice_number}",
        "reminder_body": (
            "<p>Dear {client_name},</p>"
            "<p>our records show {amount_due} still open on invoice {invoice_number} ({title}), due on "
            "{due_date}. If you have already paid, please ignore this message.</p>"
        ),
        "reminder_button_label": "Settle now",
        "reminder_before_3_subject": "Coming up: Acme invoice {invoice_number} is due on {due_date}",
        "reminder_before_3_body": (
            "<p>Dear {client_name},</p><p>a short note ahead of time: invoice {invoice_number} ({title}) "
            "is due on {due_date}, with {amount_due} to pay.</p>"
        ),
        "reminder_after_30_subject": "Final reminder: Acme invoice {invoice_number} is a month overdue",
        "reminder_after_30_body": (
            "<p>Dear {client_name},</p><p>invoice {invoice_number} has been overdue for a month. Please pay "
            "{amount_due} now, or reply to this email if something is wrong with it.</p>"
        ),
        "receipt_subject": "Payment received for {invoice_number}, thank you",
        "receipt_preheader": "We received your payment for {title}",
        "receipt_body": (
            "<p>Dear {client_name},</p><p>we have received your payment for invoice {invoice_number}. "
            "Your receipt is attached.</p><p>Kind regards, the Acme Corp team</p>"
        ),
    },
    "billing": {
        "legal_name": "Acme Corporation GmbH",
        "address": "Hauptstraße 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "tax_id": "DE136695976",
        "legal_registration_id": "HRB 123456, Amtsgericht Berlin-Charlottenburg",
        # Factur-X PDFs and UBL downloads; an EPC QR code (GiroCode) on EUR invoices.
        "einvoices_enabled": True,
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "default_currency": "EUR",
        "number_prefix": "ACME",
        "number_format": "{prefix}-{year}-{number:05}",
        "locale": "de_DE",
        "paper_size": "A4",
        "payment_instructions": "Transfer to Acme Corporation GmbH\nIBAN DE89 3704 0044 0532 0130 00",
        "sender_name": "Acme Billing",
        "sender_email": "billing@acme.localhost",
        "reply_to": "accounts@acme.localhost",
        # Three days before, on the day, then 7, 14 and 30 days after; no endless repeats.
        "remind_before_3": True,
        "remind_on_due": True,
        "remind_after_1": False,
        "remind_after_7": True,
        "remind_after_14": True,
        "remind_after_30": True,
        "reminder_interval_days": 0,
        # 2 % off when paid within 10 days; clients may split invoices of 500 EUR or more.
        "early_discount_percent": Decimal(2),
        "early_discount_days": 10,
        "plans_enabled": True,
        "plan_instalment_options": "2,3",
        "plan_minimum_amount": Decimal(500),
    },
    "clients": [
        # (name, email, street, postal code, town, country)
        ("Wayne Enterprises", "accounts@wayne.example", "1007 Mountain Drive", "10115", "Berlin", "DE"),
        ("Stark Industries", "ap@stark.example", "Rue de Rivoli 10", "75001", "Paris", "FR"),
        ("Łódź Café Spółka", "kawa@lodz.example", "ul. Piotrkowska 1", "90-001", "Łódź", "PL"),
    ],
    # Client index: (tax treatment, VAT id, exemption reason).
    "client_tax": {2: ("reverse_charge", "PL5260250995", "")},
    # (name, rate, prices include it, default)
    "tax_rates": [("VAT 19 %", "19", False, True), ("VAT 7 %", "7", False, False), ("No VAT", "0", False, False)],
    # (code, percent, fixed amount, minimum, maximum uses, per client)
    "discount_codes": [("WELCOME10", "10", None, "0", 100, 1), ("SPRING50", None, "50.00", "500.00", 20, None)],
}

GLOBEX = {
    "hostname": "globex.localhost",
    "site_name": "Globex",
    "slug": "globex",
    "intro": "<p>Globex: logistics for the whole hemisphere.</p>",
    "brand_color": "#047857",
    "accent_color": "#db2777",
    "footer": "<p>Globex Corporation · 1 Globex Way · Cypress Creek · EIN 12-3456789</p>",
    "emails": {
        "sender_name": "Globex Accounts Receivable",
        "invoice_subject": "Globex invoice {invoice_number}: {amount_due} due {due_date}",
        "invoice_preheader": "Hi {client_name}, your Globex invoice is ready",
        "invoice_body": (
            "<p>Hi {client_name},</p>"
            "<p>Your Globex invoice {invoice_number} for {title} is ready. The total is {amount}; "
            "{amount_due} is due by {due_date}.</p>"
            "<ul><li>Pay online with the button below</li><li>Or by ACH, as printed on the PDF</li></ul>"
        ),
        "invoice_button_label": "Review and pay",
        "reminder_subject": "Past due? Globex invoice {invoice_number}",
        "reminder_preheader": "{amount_due} outstanding",
        "reminder_body": (
            "<p>Hi {client_name},</p>"
            "<p>Just a nudge: {amount_due} on Globex invoice {invoice_number} was due on {due_date}.</p>"
        ),
        "reminder_button_label": "Pay the balance",
        "receipt_subject": "Globex receipt: {invoice_number}",
        "receipt_preheader": "Thanks, {client_name}!",
        "receipt_body": (
            "<p>Hi {client_name},</p><p>Thanks! Your payment for {title} arrived. "
            "The receipt for your records is attached.</p><p>Globex Accounts Receivable</p>"
        ),
    },
    "billing": {
        "legal_name": "Globex Corporation",
        "address": "1 Globex Way",
        "postal_code": "OR 97000",
        "city": "Cypress Creek",
        "country": "US",
        "tax_id": "12-3456789",
        "legal_registration_id": "Delaware file no. 7654321",
        "default_currency": "USD",
        "number_prefix": "GLX",
        "number_format": "{prefix}{number:06}",
        "locale": "en_US",
        "paper_size": "LETTER",
        "payment_instructions": "ACH: Globex Corporation, routing 021000021, account 1234567890",
        "sender_name": "Globex Accounts",
        "sender_email": "accounts@globex.localhost",
        "reply_to": "accounts@globex.localhost",
        # Tax rounded on each line, as many US systems do.
        "tax_rounding": "per_line",
    },
    "clients": [
        ("Initech", "billing@initech.example", "4120 Freidrich Lane", "TX 78701", "Austin", "US"),
        ("Umbrella Corp", "finance@umbrella.example", "545 S Birdneck Rd", "", "Raccoon City", "US"),
        ("Ελληνική Εταιρεία", "info@hellas.example", "Οδός Ερμού 10", "105 63", "Αθήνα", "GR"),
    ],
    "client_tax": {2: ("exempt", "", "Export of services outside the United States")},
    # Globex keeps typing rates on each line: a website without a catalogue works as before.
    "tax_rates": [],
    "discount_codes": [("LOYAL15", "15", None, "0", None, 3)],
}

SITES = [ACME, GLOBEX]


def client_fields(row):
    """A client of a website's ``clients`` list, as ``Client`` fields."""
    name, email, street, postal_code, city, country = row
    return {
        "name": name,
        "email": email,
        "billing_address": street,
        "postal_code": postal_code,
        "city": city,
        "country": country,
    }


def lines(*items):
    return [
        {
            "description": description,
            "quantity": Decimal(quantity),
            "unit_price": Decimal(price),
            "tax_rate": Decimal(rate),
        }
        for description, quantity, price, rate in items
    ]


# (title, client index, lines, days until due, what happens after creation)
INVOICES = [
    ("Website redesign, phase 2", 0, lines(("Design sprint", "5", "800.00", "19")), 30, "draft"),
    (
        "Hosting, monthly",
        1,
        lines(("Managed hosting", "1", "49.00", "19"), ("Backups", "1", "10.00", "19")),
        14,
        "open",
    ),
    ("Support retainer", 2, lines(("Support hours", "10", "95.00", "19")), 20, "partially_paid"),
    ("Logo design", 0, lines(("Logo concepts", "3", "250.00", "19")), -20, "open"),
    ("Consulting, May", 1, lines(("Consulting day", "2", "1200.00", "19")), 10, "paid"),
    ("Training day", 2, lines(("On-site training", "1", "900.00", "7")), 15, "overpaid"),
    ("Cancelled workshop", 0, lines(("Workshop", "1", "1500.00", "19")), 30, "void"),
    ("Old project", 1, lines(("Legacy maintenance", "12", "60.00", "0")), -120, "uncollectible"),
    ("Annual maintenance", 0, lines(("Maintenance, one year", "1", "1500.00", "19")), 60, "open"),
]

LINK_INVOICE_TITLE = "Hosting, monthly"
# The draft that gets the website's first discount code, the invoice paid in three instalments and
# the paid invoice that one of its two consulting days is credited on.
DISCOUNT_DRAFT_TITLE = "Website redesign, phase 2"
PLAN_INVOICE_TITLE = "Annual maintenance"
CREDITED_INVOICE_TITLE = "Consulting, May"

# Invoice templates per website: (name, client index or None, title, lines, payment terms in days).
# The period placeholders are filled per period by the recurring schedules.
TEMPLATES = [
    (
        "Monthly care plan",
        1,
        "Care plan, {period_label}",
        lines(("Managed hosting, {period_start} to {period_end}", "1", "49.00", "19"), ("Updates", "2", "30.00", "19")),
        14,
    ),
    ("Support retainer", None, "Support retainer, {period_label}", lines(("Support hours", "5", "95.00", "19")), 30),
]
# Recurring schedules per website: (name, template, client index, months since the start, charge the
# saved card). Started in the past, so that the first run of the scheduler catches up each period.
SCHEDULES = [
    ("Care plan", "Monthly care plan", 1, 3, False),
    ("Support retainer (automatic card charge)", "Support retainer", 2, 1, True),
]


def due_in(today, days):
    return today + timedelta(days=days)


def months_before(today, months):
    """The same day ``months`` months earlier (the 31st falls back to the month's last day)."""
    return month_day(*add_months(today.year, today.month, -months), today.day)


def logo_png(spec):
    """A simple logo in the site's colours: a disc and a bar."""
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 112, 112), fill=spec["brand_color"])
    draw.ellipse((38, 38, 82, 82), fill=spec["accent_color"])
    draw.rounded_rectangle((130, 44, 350, 76), radius=16, fill=spec["brand_color"])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
