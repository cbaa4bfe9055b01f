from __future__ import annotations

import socket
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from civicdesk.escalation.channels import Status
from civicdesk.escalation.channels.email import send_email

from .factories import HOSTILE, make_alert


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def refusing_smtp_server(settings):
    """A real SMTP server that refuses every recipient with the answer the test gives it."""
    answer = {"rcpt": ""}

    class Refuse:
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:  # noqa: N802
            return answer["rcpt"]

    port = free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        yield answer
    finally:
        controller.stop()


class TestSendEmail:
    def test_the_alert_arrives_with_text_and_html_parts(self, smtp_server, settings) -> None:
        settings.DEFAULT_FROM_EMAIL = "Civic Desk <alerts@riverbend.example>"
        outcome = send_email(make_alert(), "oncall@riverbend.example")
        [message] = smtp_server.to("oncall@riverbend.example")
        assert outcome.status == Status.DELIVERED
        assert outcome.provider_id == message["Message-ID"]
        # Django folds an encoded subject onto a continuation line; readers unfold it.
        assert message["Subject"].strip() == (
            "Possible threat on Lincoln Middle's Facebook: 'someone should …'"
        )
        assert message["X-Civic-Desk-Incident"] == "Incident 42"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"].endswith("@riverbend.example>")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Acknowledge (the link works once): https://cd.example/escalation/ack/42/" in text
        assert '<a href="https://cd.example/escalation/ack/42/abc.def-ghi"' in html

    def test_a_repeat_carries_the_same_message_id(self, smtp_server) -> None:
        send_email(make_alert(), "oncall@riverbend.example")
        send_email(make_alert(), "oncall@riverbend.example")
        other = make_alert(idempotency_key="incident-42-contact-7-step-2")
        send_email(other, "oncall@riverbend.example")
        ids = [m["Message-ID"] for m in smtp_server.messages]
        assert ids[0] == ids[1]
        assert ids[2] != ids[0]

    def test_hostile_text_cannot_add_headers(self, smtp_server) -> None:
        alert = make_alert(
            one_line="threat\r\nBcc: everyone@example.org\r\n" + HOSTILE,
            incident_ref="Incident 42\nX-Injected: yes",
            text=HOSTILE,
        )
        outcome = send_email(alert, "oncall@riverbend.example")
        [message] = smtp_server.messages
        assert outcome.status == Status.DELIVERED
        assert message["Bcc"] is None
        assert message["X-Injected"] is None
        assert "&lt;script&gt;" in message.get_body(("html",)).get_content()

    def test_nothing_listening_means_try_again(self, settings) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
        outcome = send_email(make_alert(), "oncall@riverbend.example")
        assert outcome.status == Status.RETRY
        assert outcome.error == (
            "The mail server did not answer (ConnectionRefusedError: [Errno 111] Connection refused)."
        )

    def test_a_server_that_never_greets_times_out_and_means_try_again(self, settings) -> None:
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
            settings.EMAIL_TIMEOUT = 0.2
            outcome = send_email(make_alert(), "oncall@riverbend.example")
        assert outcome.status == Status.RETRY
        assert outcome.error == (
            "The mail server did not answer "
            "(SMTPServerDisconnected: Connection unexpectedly closed: timed out)."
        )

    def test_a_refused_recipient_fails_for_good(self, refusing_smtp_server) -> None:
        refusing_smtp_server["rcpt"] = "550 5.1.1 <gone@riverbend.example>: User unknown"
        outcome = send_email(make_alert(), "gone@riverbend.example")
        assert outcome.status == Status.FAILED
        assert outcome.error == "550 5.1.1 <gone@riverbend.example>: User unknown"

    def test_a_busy_mailbox_means_try_again(self, refusing_smtp_server) -> None:
        refusing_smtp_server["rcpt"] = "450 4.2.1 Mailbox busy, try again later"
        outcome = send_email(make_alert(), "busy@riverbend.example")
        assert outcome.status == Status.RETRY
        assert outcome.error == "450 4.2.1 Mailbox busy, try again later"
        assert outcome.retry_after is None

    def test_an_address_that_is_not_one_fails_without_sending(self, smtp_server) -> None:
        outcome = send_email(make_alert(), "oncall at riverbend")
        assert outcome.status == Status.FAILED
        assert outcome.error == "'oncall at riverbend' is not an e-mail address."
        assert smtp_server.messages == []
