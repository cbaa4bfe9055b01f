from __future__ import annotations

import json

import httpx
import pytest
import respx

from civicdesk.escalation.channels import ContactKind, Status, deliver

from .conftest import SECRET
from .factories import make_alert


class TestDeliver:
    def test_email_goes_to_the_mail_server(self, smtp_server) -> None:
        outcome = deliver(make_alert(), "email", "oncall@riverbend.example")
        assert outcome.status == Status.DELIVERED
        assert len(smtp_server.to("oncall@riverbend.example")) == 1

    def test_sms_goes_to_twilio(self, settings) -> None:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC1", "token"
        settings.TWILIO_FROM = "+15557122661"
        with respx.mock() as router:
            router.post("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json").mock(
                return_value=httpx.Response(201, json={"sid": "SM1", "status": "queued"})
            )
            outcome = deliver(make_alert(), ContactKind.SMS, "+15558675310")
        assert (outcome.status, outcome.provider_id) == (Status.DELIVERED, "SM1")

    def test_sms_that_is_not_set_up_fails_without_raising(self) -> None:
        outcome = deliver(make_alert(), "sms", "+15558675310")
        assert outcome.status == Status.FAILED
        assert outcome.error.startswith("SMS is not set up: TWILIO_ACCOUNT_SID")

    @pytest.mark.parametrize(
        ("kind", "shape"),
        [("webhook_slack", "blocks"), ("webhook_teams", "attachments"), ("webhook_json", "event")],
    )
    def test_each_webhook_kind_posts_its_own_shape(self, receiver, kind, shape) -> None:
        outcome = deliver(make_alert(), kind, receiver.url, secret=SECRET)
        assert outcome.status == Status.DELIVERED
        assert shape in json.loads(receiver.requests[0].body)

    def test_only_the_json_webhook_is_signed(self, receiver) -> None:
        deliver(make_alert(), "webhook_json", receiver.url, secret=SECRET)
        deliver(make_alert(), "webhook_slack", receiver.url, secret=SECRET)
        assert [r.is_signed_by_us for r in receiver.requests] == [True, False]

    @pytest.mark.parametrize(
        ("kind", "address"),
        [
            ("email", "not an address"),
            ("webhook_json", "hooks.example/no-scheme"),
            ("webhook_slack", ""),
        ],
    )
    def test_a_bad_address_fails_without_raising(self, kind, address) -> None:
        assert deliver(make_alert(), kind, address).status == Status.FAILED

    def test_an_unknown_kind_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="'pager' is not a valid ContactKind"):
            deliver(make_alert(), "pager", "555")
