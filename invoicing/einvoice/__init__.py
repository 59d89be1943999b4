"""E-invoices: an invoice or credit note as EN 16931 data (``document``), written as UN/CEFACT CII
(``cii``, what Factur-X / ZUGFeRD embed in the PDF) or as UBL 2.1 for Peppol BIS Billing 3.0 (``ubl``).

Like ``pdf``, this package sees only its documents, never a model: ``services/einvoices.py`` builds
them from invoices and credit notes.
"""
