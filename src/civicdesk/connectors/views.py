from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .receiver import receive_meta_delivery
from .webhooks import WebhookRejected, answer_meta_subscription

logger = logging.getLogger(__name__)

# Meta's deliveries are a few kilobytes; a batched one stays far below this.
MAX_DELIVERY_BYTES = 1024 * 1024
READ_SIZE = 64 * 1024


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
            body=_read_body(request, limit=MAX_DELIVERY_BYTES),
            signature=request.headers.get("X-Hub-Signature-256"),
            app_secret=settings.META_APP_SECRET,
        )
    except WebhookRejected as exc:
        logger.warning(
            "Rejected a Meta webhook from %s: %s", request.META.get("REMOTE_ADDR"), exc.reason
        )
        return HttpResponse(exc.reason, status=exc.status, content_type="text/plain")
    return HttpResponse(
        f"Received; {delivery.accounts_nudged} accounts will be polled now.",
        content_type="text/plain",
    )


def _read_body(request: HttpRequest, *, limit: int) -> bytes:
    """The request body, also when it came in chunks; refuses one over ``limit`` bytes.

    Without a Content-Length, Django reads no body. A server that decodes chunked requests and
    ends the input stream there (gunicorn) says so with ``wsgi.input_terminated``; only then is
    the stream read to its end.
    """
    declared = request.META.get("CONTENT_LENGTH")
    if declared:
        try:
            size = int(declared)
        except ValueError:
            raise WebhookRejected(
                "The Content-Length header is not a number.", status=400
            ) from None
        if size > limit:
            raise _too_large(limit)
        return request.body
    if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return request.body
    if not request.META.get("wsgi.input_terminated"):
        raise WebhookRejected(
            "The delivery came in chunks, which this web server cannot read; "
            "serve Civic Desk with `civicdesk serve` (gunicorn).",
            status=411,
        )
    stream, chunks, size = request.META["wsgi.input"], [], 0
    while chunk := stream.read(READ_SIZE):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> WebhookRejected:
    return WebhookRejected(f"The delivery is larger than {limit} bytes.", status=413)
