from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import Recheck
from civicdesk.connectors import views
from civicdesk.connectors.models import WebhookDelivery
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db

SECRET = "meta-app-secret-for-tests"
URL = "/webhooks/meta/"


@pytest.fixture(autouse=True)
def _meta_app(settings):
    settings.META_APP_SECRET = SECRET
    settings.META_WEBHOOK_VERIFY_TOKEN = "our-verify-token"


def delivery(page_id: str = "104392", sent_at: float | None = None) -> bytes:
    entry = {
        "id": page_id,
        "time": int(sent_at or time.time()),
        "changes": [
            {
                "field": "feed",
                "value": {
                    "item": "comment",
                    "verb": "add",
                    "comment_id": "104392_1_9",
                    "message": "When is the board meeting? 🚌",
                },
            }
        ],
    }
    return json.dumps({"object": "page", "entry": [entry]}).encode()


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, body: bytes, signature: str | None):
    headers = {"X-Hub-Signature-256": signature} if signature else {}
    return client.post(URL, body, content_type="application/json", headers=headers)


class TestMetaWebhook:
    def test_a_signed_delivery_is_kept_and_brings_the_pages_poll_forward(self, client):
        page = AccountFactory.create(
            platform="facebook",
            options={"page_id": "104392"},
            next_poll_at=timezone.now() + timedelta(hours=1),
        )
        other = AccountFactory.create(
            platform="facebook",
            options={"page_id": "555"},
            next_poll_at=timezone.now() + timedelta(hours=1),
        )
        body = delivery()
        response = post(client, body, signed(body))
        assert response.status_code == 200
        assert response.content == b"Received; 1 accounts will be polled now."
        assert Account.objects.get(pk=page.pk).next_poll_at <= timezone.now()
        assert Account.objects.get(pk=other.pk).next_poll_at > timezone.now()
        kept = WebhookDelivery.objects.get()
        assert json.loads(kept.body) == json.loads(body)

    @pytest.mark.parametrize(
        ("signature", "reason"),
        [
            (None, "The delivery has no X-Hub-Signature-256 header."),
            ("sha256=" + "0" * 64, "The X-Hub-Signature-256 header does not match the body."),
            ("sha1=abc", "The delivery has no X-Hub-Signature-256 header."),
        ],
    )
    def test_a_bad_signature_is_rejected(self, client, signature, reason):
        response = post(client, delivery(), signature)
        assert response.status_code == 403
        assert response.content.decode() == reason
        assert WebhookDelivery.objects.count() == 0

    def test_a_delivery_signed_with_another_secret_is_rejected(self, client):
        body = delivery()
        assert post(client, body, signed(body, "someone-else")).status_code == 403

    def test_a_replayed_delivery_is_rejected(self, client):
        body = delivery()
        assert post(client, body, signed(body)).status_code == 200
        again = post(client, body, signed(body))
        assert again.status_code == 403
        assert again.content == b"The delivery was already received once."
        assert WebhookDelivery.objects.count() == 1

    def test_an_old_captured_delivery_is_rejected_and_kept_as_refused(self, client):
        body = delivery(sent_at=time.time() - 3600)
        response = post(client, body, signed(body))
        assert response.status_code == 403
        assert response.content == b"The delivery is older than the replay window."
        kept = WebhookDelivery.objects.get()
        assert kept.refused_reason == "The delivery is older than the replay window."
        assert post(client, body, signed(body)).status_code == 403
        assert WebhookDelivery.objects.count() == 1

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (
                b'{"object": "page", "entry": [{"id": "104392", "changes": []}]}',
                "The delivery has an entry without a time, so its age cannot be checked.",
            ),
            (
                b'{"object": "page", "entry": [{"id": "104392", "time": NaN}]}',
                "The delivery body is not JSON.",
            ),
            (
                b'{"object": "page", "entry": [{"id": "104392", "time": 1e999}]}',
                "The delivery has an entry without a time, so its age cannot be checked.",
            ),
            (
                b'{"object": "page", "entry": [{"id": "104392", "time": "yesterday"}]}',
                "The delivery has an entry without a time, so its age cannot be checked.",
            ),
            (b'{"object": "page", "entry": []}', "The delivery has no entries."),
            (b'{"object": "page"}', "The delivery has no entries."),
        ],
        ids=["no-time", "nan", "infinite", "text", "empty-entries", "no-entries"],
    )
    def test_a_signed_delivery_that_cannot_be_dated_is_refused_and_kept_as_refused(
        self, client, body, reason
    ):
        page = AccountFactory.create(
            platform="facebook",
            options={"page_id": "104392"},
            next_poll_at=timezone.now() + timedelta(hours=1),
        )
        response = post(client, body, signed(body))
        assert (response.status_code, response.content.decode()) == (400, reason)
        kept = WebhookDelivery.objects.get()
        assert (kept.refused_reason, kept.accounts_nudged) == (reason, 0)
        assert Account.objects.get(pk=page.pk).next_poll_at > timezone.now()

    def test_a_delivery_sent_in_chunks_is_read_in_full(self, client):
        body = delivery()
        response = client.post(
            URL,
            b"",
            content_type="application/json",
            headers={"X-Hub-Signature-256": signed(body), "Transfer-Encoding": "chunked"},
            # What gunicorn hands over for a chunked request: no length, a decoded stream.
            **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
        )
        assert response.status_code == 200
        assert json.loads(WebhookDelivery.objects.get().body) == json.loads(body)

    def test_chunks_a_server_cannot_end_are_refused_not_read_as_empty(self, client):
        body = delivery()
        response = client.post(
            URL,
            b"",
            content_type="application/json",
            headers={"X-Hub-Signature-256": signed(body), "Transfer-Encoding": "chunked"},
            **{"wsgi.input": io.BytesIO(body)},
        )
        assert response.status_code == 411
        assert WebhookDelivery.objects.count() == 0

    def test_a_delivery_over_the_size_limit_is_refused_unread(self, client, monkeypatch):
        monkeypatch.setattr(views, "MAX_DELIVERY_BYTES", 100)
        body = delivery()
        assert post(client, body, signed(body)).status_code == 413
        chunked = client.post(
            URL,
            b"",
            content_type="application/json",
            headers={"X-Hub-Signature-256": signed(body), "Transfer-Encoding": "chunked"},
            **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
        )
        assert (chunked.status_code, chunked.content) == (
            413,
            b"The delivery is larger than 100 bytes.",
        )
        assert WebhookDelivery.objects.count() == 0

    def test_without_an_app_secret_nothing_is_trusted(self, client, settings):
        settings.META_APP_SECRET = ""
        body = delivery()
        assert post(client, body, signed(body, "")).status_code == 403

    def test_the_subscription_check_echoes_the_challenge_only_for_our_token(self, client):
        ok = client.get(
            URL,
            {
                "hub.mode": "subscribe",
                "hub.verify_token": "our-verify-token",
                "hub.challenge": "1158201444",
            },
        )
        assert (ok.status_code, ok.content) == (200, b"1158201444")
        bad = client.get(
            URL, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
        )
        assert bad.status_code == 403
        unicode = client.get(
            URL, {"hub.mode": "subscribe", "hub.verify_token": "güess", "hub.challenge": "1"}
        )
        assert unicode.status_code == 403


class TestAChangedItemIsDueForARecheck:
    def test_an_edited_comment_named_by_a_delivery_is_due_now(self, client):
        page = AccountFactory.create(platform="facebook", options={"page_id": "104392"})
        with transaction.atomic():
            store_records(
                account=page,
                records=[record("104392_1_9"), record("104392_1_10")],
                source="poll",
            )
        body = json.loads(delivery())
        body["entry"][0]["changes"][0]["value"]["verb"] = "edited"
        raw = json.dumps(body).encode()
        assert post(client, raw, signed(raw)).status_code == 200
        assert Recheck.objects.get(item__platform_id="104392_1_9").due_at <= timezone.now()
        assert Recheck.objects.get(item__platform_id="104392_1_10").due_at > timezone.now()
