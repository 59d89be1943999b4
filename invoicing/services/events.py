from ..models import InvoiceEvent


def record_event(invoice, kind, *, by=None, **data):
    return InvoiceEvent.objects.create(invoice=invoice, kind=kind, actor=by, data=data)
