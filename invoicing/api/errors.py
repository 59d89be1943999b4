"""Every API error is JSON with a stable ``code`` and a ``detail`` written for people; validation
errors also name their fields in ``fields``. Domain errors (``InvoicingError``) keep their code."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..core.exceptions import InvoicingError

# The HTTP status of each domain error; an unknown code is a client error.
STATUS_BY_CODE = {
    "invalid_transition": status.HTTP_409_CONFLICT,
    "validation_failed": status.HTTP_400_BAD_REQUEST,
    "payment_rejected": status.HTTP_409_CONFLICT,
    "payment_link_invalid": status.HTTP_404_NOT_FOUND,
    "payment_link_unusable": status.HTTP_410_GONE,
    "email_refused": status.HTTP_409_CONFLICT,
    "provider_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "einvoice_unavailable": status.HTTP_409_CONFLICT,
}

# Codes for DRF's own errors, so that clients never have to parse a message.
CODE_BY_DRF_ERROR = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "parse_error",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "invalid",
}


class RateLimited(exceptions.Throttled):
    """Over a limit of ``invoicing.pay.ratelimit``; answered 429 with ``Retry-After``."""

    default_detail = gettext_lazy("Too many requests. Please wait a minute and try again.")


def error_body(code, detail, **extra):
    return {"code": code, "detail": str(detail), **extra}


def _flatten(errors, prefix=""):
    """``{"lines": [{"unit_price": ["…"]}]}`` → ``{"lines[0].unit_price": ["…"]}``: one message list per field."""
    if isinstance(errors, dict):
        flat = {}
        for name, value in errors.items():
            if isinstance(name, int):  # a list's item, as DRF's ListSerializer reports it
                path = f"{prefix}[{name}]"
            elif name == "non_field_errors" and prefix:  # the nested object (or list) as a whole
                path = prefix
            else:
                path = f"{prefix}.{name}" if prefix else str(name)
            flat.update(_flatten(value, path))
        return flat
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        flat = {}
        for index, value in enumerate(errors):
            if value:
                flat.update(_flatten(value, f"{prefix}[{index}]"))
        return flat
    messages = errors if isinstance(errors, list) else [errors]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def _validation_body(error):
    fields = _flatten(error.detail)
    name, messages = next(iter(fields.items()))
    if name == "non_field_errors":
        detail = messages[0]
    else:
        detail = _("%(field)s: %(message)s") % {"field": name, "message": messages[0]}
    return error_body("invalid", detail, fields=fields)


def exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER`` for the invoicing API (set per view, see ``InvoicingAPIView``)."""
    if isinstance(exc, InvoicingError):
        set_rollback()
        return Response(error_body(exc.code, exc.message), status=STATUS_BY_CODE.get(exc.code, 400))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django answer 500 and log it
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        body = _validation_body(exc)
    else:
        code = next((code for cls, code in CODE_BY_DRF_ERROR.items() if isinstance(exc, cls)), "error")
        body = error_body(code, exc.detail)
    return Response(body, status=exc.status_code, headers=headers)
