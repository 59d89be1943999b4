"""A discount code's uses, counted under the code's row lock, and the conditions on the invoice's
content (currency, minimum amount) that must still hold when a draft with a code is issued.
Apart from ``services.discounts`` so that the draft lifecycle (``services.invoices``) can call it."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ..core.exceptions import ValidationFailed
from ..core.money import format_money, round_money
from ..models import DiscountCode, DiscountRedemption


def used_up(code):
    return ValidationFailed(
        _("The discount code %(code)s has been used as many times as it may be (%(max)s).")
        % {"code": code.code, "max": code.max_redemptions}
    )


def lock_codes(*pks):
    """Lock the codes' rows, always in the same order, so that two drafts swapping codes cannot
    deadlock; returns them by primary key."""
    wanted = sorted({pk for pk in pks if pk is not None})
    return {code.pk: code for code in DiscountCode.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}


def take_use(code, invoice, *, by=None):
    """One use of ``code`` (locked by the caller) for ``invoice``, within its limits."""
    if code.max_redemptions is not None and code.times_redeemed >= code.max_redemptions:
        raise used_up(code)
    if code.max_per_client is not None:
        by_client = DiscountRedemption.objects.filter(code=code, client_id=invoice.client_id).count()
        if by_client >= code.max_per_client:
            raise ValidationFailed(
                _("%(client)s has already used the discount code %(code)s as many times as a client may (%(max)s).")
                % {"client": invoice.client.name, "code": code.code, "max": code.max_per_client}
            )
    try:
        # A savepoint: the database's check (times used ≤ maximum) is the last guard, and its
        # refusal must leave the caller's transaction usable for a clear error.
        with transaction.atomic():
            DiscountRedemption.objects.create(code=code, invoice=invoice, client_id=invoice.client_id, created_by=by)
            DiscountCode.objects.filter(pk=code.pk).update(times_redeemed=F("times_redeemed") + 1)
    except IntegrityError as exc:
        raise used_up(code) from exc
    code.times_redeemed += 1


def release_use(invoice):
    """Give back the use that ``invoice``'s draft took of its code (removed, replaced or deleted)."""
    redemption = DiscountRedemption.objects.filter(invoice=invoice).first()
    if redemption is None:
        return None
    lock_codes(redemption.code_id)
    redemption.delete()
    DiscountCode.objects.filter(pk=redemption.code_id, times_redeemed__gt=0).update(
        times_redeemed=F("times_redeemed") - 1
    )
    return redemption.code


def ensure_code_fits(code, invoice, lines_total):
    """The code's conditions on the invoice itself: its currency and the lines' minimum amount.
    Checked when the code is applied, and again when the draft is issued, since its lines and
    currency may have changed in between."""
    if code.currency and code.currency != invoice.currency:
        if code.kind == DiscountCode.Kind.FIXED:
            message = _("The discount code %(code)s takes %(amount)s off invoices in %(currency)s only.")
        else:
            message = _("The discount code %(code)s applies to invoices in %(currency)s only.")
        raise ValidationFailed(
            message
            % {
                "code": code.code,
                "currency": code.currency,
                "amount": format_money(code.amount or 0, code.currency),
            }
        )
    minimum = round_money(code.minimum_amount or 0, invoice.currency)
    if minimum > 0 and lines_total < minimum:
        raise ValidationFailed(
            _("The discount code %(code)s needs lines adding up to at least %(minimum)s; these add up to %(total)s.")
            % {
                "code": code.code,
                "minimum": format_money(minimum, invoice.currency),
                "total": format_money(lines_total, invoice.currency),
            }
        )
