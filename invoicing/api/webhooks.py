"""Stripe's webhook endpoint: thin. The signature on the raw body protects it (CSRF cannot)."""

import logging

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..core.exceptions import ValidationFailed
from ..services.stripe_events import receive_stripe_event

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    # Read outside the ``try``: a body over DATA_UPLOAD_MAX_MEMORY_SIZE raises RequestDataTooBig,
    # which Django answers with a 400; caught below, it became a 500 that asks for a redelivery.
    payload = request.body
    try:
        receive_stripe_event(payload, request.headers.get("Stripe-Signature", ""))
    except ValidationFailed as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return HttpResponseBadRequest(exc.message, content_type="text/plain")
    except Exception:
        # Logged and stored by the service; a non-2xx answer makes Stripe deliver it again.
        return HttpResponse("Not processed; deliver again.", status=500, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
