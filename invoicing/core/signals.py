"""Public extension points. Each is sent after the transaction that caused it commits."""

from django.dispatch import Signal

# sender=Invoice, invoice=..., by=user or None
invoice_issued = Signal()
invoice_paid = Signal()
invoice_voided = Signal()
# sender=Refund, refund=..., payment=..., invoice=...
payment_refunded = Signal()
# sender=CreditNote, credit_note=..., invoice=..., by=user or None
credit_note_issued = Signal()
