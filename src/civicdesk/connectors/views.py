from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .receiver import receive_meta_delivery
from .webhooks import WebhookRejected, answer_meta_subscription

logger = logging.getLogger(__name__)


@csrf_exempt  # Meta cannot send our CSRF token; the HMAC signature authenticates instead.
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    """Facebook Page and Instagram webhooks: subscription check (GET) and deliveries (POST)."""
    try:
        if request.method == "GET":
            challenge = answer_meta_subscription(
                mode=request.GET.get("hub.mode", ""),
                verify_token=request.GET.get("hub.verify_token", ""),
                challenge=request.GET.get("hub.challenge", ""),
                expected_token=settings.META_WEBHOOK_VERIFY_TOKEN,
            )
            return HttpResponse(challenge, content_type="text/plain")
        delivery = receive_meta_delivery(
            body=request.body,
            signature=request.headers.get("X-Hub-Signature-256"),
            app_secret=settings.META_APP_SECRET,
        )
    except WebhookRejected as exc:
        logger.warning(
            "Rejected a Meta webhook from %s: %s", request.META.get("REMOTE_ADDR"), exc.reason
        )
        return HttpResponseForbidden(exc.reason, content_type="text/plain")
    return HttpResponse(
        f"Received; {delivery.accounts_nudged} accounts will be polled now.",
        content_type="text/plain",
    )
