from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import send_mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from civicdesk.demo import mailsink
from civicdesk.testing.factories import UserFactory


@pytest.fixture
def sink(tmp_path: Path, settings):
    """The demo's sink on a free port, with Django's mail and the page pointed at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path / "demo-mail"
    controller = Controller(mailsink.KeepInFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DEMO_MAIL_DIR = str(folder)
    try:
        yield folder
    finally:
        controller.stop()


def test_a_sent_message_is_kept_whole_and_read_back(sink: Path) -> None:
    send_mail("Threat at Lincoln Middle", "Acknowledge: http://x/ack/1", "desk@x", ["p@x.org"])
    [mail] = mailsink.caught(sink)
    assert mail.subject == "Threat at Lincoln Middle"
    assert mail.recipients == ["p@x.org"]
    assert "http://x/ack/1" in mail.text
    assert not list(sink.glob(".*.part"))


def test_a_foreign_file_is_skipped_and_garbage_is_listed_without_failing(sink: Path) -> None:
    (sink / "notes.eml").write_text("not ours")
    (sink / "20261201T101010000000-abcdef123456.eml").write_bytes(b"\xff\xfe\x00garbage")
    [garbage] = mailsink.caught(sink)  # the foreign file name is not listed
    assert garbage.key == "20261201T101010000000-abcdef123456"
    assert garbage.subject == "(no subject)" and garbage.recipients == []


@pytest.mark.django_db
class TestCaughtMailPage:
    def test_each_person_sees_what_was_sent_to_them(self, client, sink: Path) -> None:
        principal = UserFactory.create(username="principal", email="principal@riverbend.org")
        other = UserFactory.create(username="other", email="other@riverbend.org")
        send_mail("Threat <b>now</b>", "Acknowledge here", "desk@x", ["principal@riverbend.org"])
        client.force_login(principal)
        page = client.get(reverse("demo:mail")).content.decode()
        assert "Threat &lt;b&gt;now&lt;/b&gt;" in page and "<b>now" not in page
        [mail] = mailsink.caught(sink)
        assert client.get(reverse("demo:mail_detail", args=[mail.key])).status_code == 200
        client.force_login(other)
        assert "Threat" not in client.get(reverse("demo:mail")).content.decode()
        assert client.get(reverse("demo:mail_detail", args=[mail.key])).status_code == 404

    def test_a_superuser_sees_all_and_strangers_must_sign_in(self, client, sink: Path) -> None:
        send_mail("Digest", "Today", "desk@x", ["someone@riverbend.org"])
        response = client.get(reverse("demo:mail"))
        assert response.status_code == 302 and "/login/" in response["Location"]
        client.force_login(UserFactory.create(username="root", is_superuser=True))
        assert "Digest" in client.get(reverse("demo:mail")).content.decode()

    def test_a_made_up_key_is_not_found(self, client, sink: Path) -> None:
        client.force_login(UserFactory.create(username="root", is_superuser=True))
        for key in ("..", "..%2F..%2Fsecret_key", "20261201T101010000000-zzzzzzzzzzzz", "x"):
            assert client.get(f"/demo/mail/{key}/").status_code == 404

    def test_without_a_sink_the_page_says_how_to_get_one(self, client, settings) -> None:
        settings.DEMO_MAIL_DIR = ""
        client.force_login(UserFactory.create(username="root", is_superuser=True))
        assert client.get(reverse("demo:mail")).status_code == 404


def test_the_sink_command_refuses_a_bad_address(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="host:port"):
        call_command("mailsink", "--address", "nowhere", "--folder", str(tmp_path))
