"""Trusting a Meta webhook delivery: signature, subscription handshake and replays."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from civicdesk.connectors.webhooks import (
    MemorySeenStore,
    ReplayGuard,
    WebhookRejected,
    answer_meta_subscription,
    meta_delivery,
    verify_meta_signature,
)

SECRET = "app-secret"
NOW = 1_772_481_600.0
# Meta signs the bytes it sends, with non-ASCII escaped; these bytes must be verified as they are.
BODY = json.dumps(
    {
        "object": "page",
        "entry": [
            {
                "id": "112233445566",
                "time": int(NOW) - 30,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "778899000002_900000000001",
                            "message": "Caf\u00e9 \U0001f3ca",
                            "from": {"id": "1", "name": "Jane"},
                        },
                    }
                ],
            }
        ],
    }
).encode()


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_correctly_signed_delivery_is_accepted() -> None:
    verify_meta_signature(body=BODY, signature_header=sign(BODY), app_secret=SECRET)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "The delivery has no X-Hub-Signature-256 header."),
        ("sha1=abc", "The delivery has no X-Hub-Signature-256 header."),
        (sign(BODY, "other-secret"), "The X-Hub-Signature-256 header does not match the body."),
        (sign(BODY + b" "), "The X-Hub-Signature-256 header does not match the body."),
    ],
)
def test_a_delivery_with_a_wrong_or_missing_signature_is_rejected(
    header: str | None, reason: str
) -> None:
    with pytest.raises(WebhookRejected) as caught:
        verify_meta_signature(body=BODY, signature_header=header, app_secret=SECRET)
    assert caught.value.reason == reason


def test_a_re_serialized_body_does_not_verify() -> None:
    reserialized = json.dumps(json.loads(BODY), ensure_ascii=False).encode()
    with pytest.raises(WebhookRejected):
        verify_meta_signature(body=reserialized, signature_header=sign(BODY), app_secret=SECRET)


def test_the_subscription_handshake_echoes_the_challenge_only_for_our_token() -> None:
    assert (
        answer_meta_subscription(
            mode="subscribe", verify_token="t0k", challenge="1158201444", expected_token="t0k"
        )
        == "1158201444"
    )
    with pytest.raises(WebhookRejected):
        answer_meta_subscription(
            mode="subscribe", verify_token="guess", challenge="1", expected_token="t0k"
        )


def test_a_delivery_is_accepted_once_and_its_replay_rejected() -> None:
    guard = ReplayGuard(store=MemorySeenStore(clock=lambda: NOW), clock=lambda: NOW)
    delivery = meta_delivery(BODY)
    assert delivery.sent_at == NOW - 30
    guard.check(delivery)
    with pytest.raises(WebhookRejected) as caught:
        guard.check(delivery)
    assert caught.value.reason == "The delivery was already received once."


def test_a_delivery_older_than_the_window_is_rejected() -> None:
    guard = ReplayGuard(store=MemorySeenStore(), window_seconds=300, clock=lambda: NOW + 600)
    with pytest.raises(WebhookRejected) as caught:
        guard.check(meta_delivery(BODY))
    assert caught.value.reason == "The delivery is older than the replay window."
