from ..models import Invoice


def lock_invoice(invoice):
    """Re-read ``invoice`` in place under a row lock; call inside ``transaction.atomic()``."""
    invoice.refresh_from_db(from_queryset=Invoice.objects.select_for_update())
    return invoice
