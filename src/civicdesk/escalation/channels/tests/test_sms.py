from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from civicdesk.escalation.channels import Status
from civicdesk.escalation.channels.sms import send_sms

from .factories import make_alert

PAYLOADS = Path(__file__).parent / "payloads" / "twilio"
ACCOUNT_SID = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@pytest.fixture
def twilio(settings) -> None:
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = "auth-token"
    settings.TWILIO_FROM = "+15557122661"


def answer(name: str, status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=payload(name), headers=headers)


class TestSendSms:
    def test_a_queued_message_counts_as_delivered(self, twilio) -> None:
        with respx.mock() as router:
            route = router.post(MESSAGES).mock(return_value=answer("message_queued", 201))
            outcome = send_sms(make_alert(), "+15558675310")
        assert outcome.status == Status.DELIVERED
        assert outcome.provider_id == "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        request = route.calls.last.request
        credentials = base64.b64encode(f"{ACCOUNT_SID}:auth-token".encode()).decode()
        assert request.headers["Authorization"] == f"Basic {credentials}"
        assert request.headers["I-Twilio-Idempotency-Token"] == "incident-42-contact-7-step-1"
        assert parse_qs(request.content.decode()) == {
            "To": ["+15558675310"],
            "From": ["+15557122661"],
            "Body": [
                "Possible threat on Lincoln Middle's Facebook: 'someone should ...' "
                "https://cd.example/a/Xy12"
            ],
        }

    def test_a_messaging_service_sends_in_place_of_a_number(self, twilio, settings) -> None:
        settings.TWILIO_FROM = "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        with respx.mock() as router:
            route = router.post(MESSAGES).mock(return_value=answer("message_queued", 201))
            send_sms(make_alert(), "+15558675310")
        form = parse_qs(route.calls.last.request.content.decode())
        assert form["MessagingServiceSid"] == ["MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
        assert "From" not in form

    @pytest.mark.parametrize(
        ("name", "status", "error"),
        [
            (
                "error_21211_invalid_to",
                400,
                "Twilio error 21211: The 'To' number +1555012 is not a valid phone number.",
            ),
            (
                "error_21610_unsubscribed",
                400,
                "Twilio error 21610: Attempt to send to unsubscribed recipient",
            ),
            (
                "error_20003_authenticate",
                401,
                "Twilio error 20003: Authenticate (Your AccountSid or AuthToken was incorrect.)",
            ),
        ],
    )
    def test_a_refusal_fails_in_twilios_words(self, twilio, name, status, error) -> None:
        with respx.mock() as router:
            router.post(MESSAGES).mock(return_value=answer(name, status))
            outcome = send_sms(make_alert(), "+1555012")
        assert outcome.status == Status.FAILED
        assert outcome.error == error
        assert outcome.retry_after is None

    def test_too_many_requests_waits_as_long_as_twilio_asks(self, twilio) -> None:
        with respx.mock() as router:
            router.post(MESSAGES).mock(
                return_value=answer("error_20429_too_many_requests", 429, **{"Retry-After": "30"})
            )
            outcome = send_sms(make_alert(), "+15558675310")
        assert outcome.status == Status.RETRY
        assert outcome.retry_after == 30.0
        assert outcome.error == "Twilio error 20429: Too Many Requests"

    def test_a_server_error_means_try_again(self, twilio) -> None:
        with respx.mock() as router:
            router.post(MESSAGES).mock(return_value=answer("error_20500_internal", 500))
            outcome = send_sms(make_alert(), "+15558675310")
        assert outcome.status == Status.RETRY
        assert outcome.error == "Twilio error 20500: Internal Server Error"
        assert outcome.retry_after is None

    def test_a_server_error_without_json_means_try_again(self, twilio) -> None:
        with respx.mock() as router:
            router.post(MESSAGES).mock(return_value=httpx.Response(503, text="<html>down</html>"))
            outcome = send_sms(make_alert(), "+15558675310")
        assert outcome.status == Status.RETRY
        assert outcome.error == "Twilio HTTP 503: <html>down</html>"

    @pytest.mark.parametrize(
        "error", [httpx.ConnectError("refused"), httpx.ReadTimeout("timed out")]
    )
    def test_a_network_error_means_try_again(self, twilio, error) -> None:
        with respx.mock() as router:
            router.post(MESSAGES).mock(side_effect=error)
            outcome = send_sms(make_alert(), "+15558675310")
        assert outcome.status == Status.RETRY
        assert outcome.error == f"Twilio did not answer ({type(error).__name__}: {error})."

    def test_without_settings_sms_is_not_set_up(self, settings) -> None:
        settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
        with respx.mock() as router:
            outcome = send_sms(make_alert(), "+15558675310")
        assert router.calls.call_count == 0
        assert outcome.status == Status.FAILED
        assert outcome.error == "SMS is not set up: TWILIO_AUTH_TOKEN, TWILIO_FROM must be set."
