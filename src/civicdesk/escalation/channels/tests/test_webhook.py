from __future__ import annotations

import json
import socket

import pytest

from civicdesk.escalation.channels import Status, verify_signature
from civicdesk.escalation.channels.alert import json_payload, slack_payload, teams_payload
from civicdesk.escalation.channels.webhook import send_webhook, sign

from .conftest import SECRET
from .factories import make_alert

NOW = 1_741_102_200


class TestSendWebhook:
    def test_a_json_receiver_gets_a_signed_alert(self, receiver) -> None:
        outcome = send_webhook(make_alert(), receiver.url, "json", secret=SECRET)
        [request] = receiver.requests
        assert outcome.status == Status.DELIVERED
        assert request.path == "/hooks/civicdesk"
        assert request.is_signed_by_us is True
        assert request.headers["idempotency-key"] == "incident-42-contact-7-step-1"
        assert request.headers["content-type"] == "application/json; charset=utf-8"
        assert request.headers["x-civic-desk-signature"].startswith("sha256=")
        assert json.loads(request.body) == json_payload(make_alert())

    def test_a_signature_made_with_another_secret_is_refused(self, receiver) -> None:
        send_webhook(make_alert(), receiver.url, "json", secret="another secret")
        assert receiver.requests[0].is_signed_by_us is False

    def test_without_a_secret_the_alert_is_not_signed(self, receiver) -> None:
        send_webhook(make_alert(), receiver.url, "json")
        [request] = receiver.requests
        assert "x-civic-desk-signature" not in request.headers
        assert "x-civic-desk-timestamp" not in request.headers
        assert request.headers["idempotency-key"] == "incident-42-contact-7-step-1"

    def test_slack_gets_blocks_and_no_signature(self, receiver) -> None:
        outcome = send_webhook(make_alert(), receiver.url, "slack", secret=SECRET)
        [request] = receiver.requests
        assert outcome.status == Status.DELIVERED
        assert json.loads(request.body) == slack_payload(make_alert())
        assert "x-civic-desk-signature" not in request.headers

    def test_teams_gets_an_adaptive_card(self, receiver) -> None:
        receiver.answer(200, "1")
        outcome = send_webhook(make_alert(), receiver.url, "teams")
        assert outcome.status == Status.DELIVERED
        assert json.loads(receiver.requests[0].body) == teams_payload(make_alert())

    @pytest.mark.parametrize(("code", "status"), [("429", Status.RETRY), ("413", Status.FAILED)])
    def test_a_teams_failure_told_with_200_is_still_a_failure(self, receiver, code, status) -> None:
        said = (
            "Webhook message delivery failed with error: Microsoft Teams endpoint returned "
            f"HTTP error {code} with ContextId tcid=0,server=msgapi-production-eus-azsc1-4-170"
        )
        receiver.answer(200, said)
        outcome = send_webhook(make_alert(), receiver.url, "teams")
        assert outcome.status == status
        assert outcome.error == f"HTTP {code}: {said}"

    def test_a_server_error_is_tried_again_with_the_same_key(self, receiver) -> None:
        receiver.answer(500, "Internal Server Error")
        first = send_webhook(make_alert(), receiver.url, "json", secret=SECRET)
        second = send_webhook(make_alert(), receiver.url, "json", secret=SECRET)
        assert (first.status, first.error) == (Status.RETRY, "HTTP 500: Internal Server Error")
        assert second.status == Status.DELIVERED
        keys = {request.headers["idempotency-key"] for request in receiver.requests}
        assert keys == {"incident-42-contact-7-step-1"}
        assert all(request.is_signed_by_us for request in receiver.requests)

    def test_too_many_requests_waits_as_long_as_the_receiver_asks(self, receiver) -> None:
        receiver.answer(429, "rate_limited", **{"Retry-After": "120"})
        outcome = send_webhook(make_alert(), receiver.url, "slack")
        assert outcome.status == Status.RETRY
        assert outcome.retry_after == 120.0
        assert outcome.error == "HTTP 429: rate_limited"

    @pytest.mark.parametrize(
        ("status", "said"),
        [(400, "invalid_payload"), (404, "no_service"), (410, "channel_is_archived")],
    )
    def test_a_refusal_fails_in_the_receivers_words(self, receiver, status, said) -> None:
        receiver.answer(status, said)
        outcome = send_webhook(make_alert(), receiver.url, "slack")
        assert outcome.status == Status.FAILED
        assert outcome.error == f"HTTP {status}: {said}"

    def test_a_long_refusal_is_cut_short(self, receiver) -> None:
        receiver.answer(400, "invalid_payload " + "x" * 10_000)
        outcome = send_webhook(make_alert(), receiver.url, "json")
        assert outcome.status == Status.FAILED
        assert outcome.error.startswith("HTTP 400: invalid_payload xxx")
        assert len(outcome.error) == 300

    def test_a_redirect_is_not_followed(self, receiver) -> None:
        receiver.answer(302, "", Location="https://elsewhere.example/")
        outcome = send_webhook(make_alert(), receiver.url, "json")
        assert (outcome.status, outcome.error) == (Status.FAILED, "HTTP 302")
        assert len(receiver.requests) == 1

    def test_nothing_listening_means_try_again(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        outcome = send_webhook(make_alert(), f"http://127.0.0.1:{port}/hook", "json")
        assert outcome.status == Status.RETRY
        assert outcome.error.startswith("127.0.0.1 did not answer (ConnectError: ")

    def test_an_address_that_is_not_a_web_address_fails(self) -> None:
        outcome = send_webhook(make_alert(), "ftp://files.example/hook", "json")
        assert outcome.status == Status.FAILED
        assert (
            outcome.error == "The webhook address 'ftp://files.example/hook' is not a web address."
        )

    def test_an_unknown_flavor_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="'discord' is not a valid Flavor"):
            send_webhook(make_alert(), "https://hooks.example/", "discord")


class TestVerifySignature:
    body = b'{"event":"escalation.alert"}'

    def test_it_accepts_a_fresh_signature(self) -> None:
        signature = sign(SECRET, NOW, self.body)
        assert verify_signature(SECRET, str(NOW), self.body, signature, now=NOW + 299) is True
        assert verify_signature(SECRET, NOW, self.body.decode(), signature, now=NOW) is True

    @pytest.mark.parametrize("now", [NOW + 301, NOW - 301])
    def test_it_refuses_a_timestamp_outside_the_tolerance(self, now) -> None:
        signature = sign(SECRET, NOW, self.body)
        assert verify_signature(SECRET, NOW, self.body, signature, now=now) is False

    def test_the_tolerance_can_be_narrowed(self) -> None:
        signature = sign(SECRET, NOW, self.body)
        assert (
            verify_signature(SECRET, NOW, self.body, signature, now=NOW + 61, tolerance=60) is False
        )

    def test_it_refuses_a_changed_body_or_timestamp(self) -> None:
        signature = sign(SECRET, NOW, self.body)
        assert verify_signature(SECRET, NOW, self.body + b" ", signature, now=NOW) is False
        assert verify_signature(SECRET, NOW + 1, self.body, signature, now=NOW) is False

    @pytest.mark.parametrize("timestamp", ["", "soon", "1.5e9"])
    def test_it_refuses_a_timestamp_that_is_not_a_number(self, timestamp) -> None:
        signature = sign(SECRET, NOW, self.body)
        assert verify_signature(SECRET, timestamp, self.body, signature, now=NOW) is False

    def test_the_signature_is_an_hmac_of_timestamp_and_body(self) -> None:
        import hashlib
        import hmac

        expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + self.body, hashlib.sha256)
        assert sign(SECRET, NOW, self.body) == f"sha256={expected.hexdigest()}"
