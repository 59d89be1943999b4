from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailKind(models.TextChoices):
    INVOICE = "invoice", _("New invoice")
    REMINDER = "reminder", _("Reminder")
    RECEIPT = "receipt", _("Receipt")
    CHARGE_FAILED = "charge_failed", _("Card charge failed")


# These carry the pay link (and its button); a receipt carries none, because raw tokens are
# never stored and a receipt must not replace the link the client already has.
KINDS_WITH_PAY_LINK = frozenset({EmailKind.INVOICE, EmailKind.REMINDER, EmailKind.CHARGE_FAILED})

# What a person may send by hand; a failed-charge email comes only from the charge that failed,
# with its reason.
KINDS_SENT_ON_REQUEST = (EmailKind.INVOICE, EmailKind.REMINDER, EmailKind.RECEIPT)
