"""Alerts survive real processes dying: a worker killed mid-send, a restart while a timer runs."""

from __future__ import annotations

import datetime
import os
import signal
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from civicdesk.escalation.incidents import open_or_join
from civicdesk.escalation.models import (
    ContactMethod,
    EscalationPolicy,
    Incident,
    Notification,
    PolicyLevel,
)
from civicdesk.escalation.tests.fixtures import post
from civicdesk.testing.factories import UserFactory

from .processes import civicdesk, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class MailServer:
    """A real SMTP server that can kill a process the moment it has a message in hand."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.kill_on_first: int | None = None
        self.lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
            victim, self.kill_on_first = self.kill_on_first, None
        if victim is not None:
            # The sender dies holding a message the server has accepted: it never hears "250".
            os.kill(victim, signal.SIGKILL)
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_server():
    server = MailServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


def env_for(server: MailServer) -> dict[str, str]:
    return {
        "CIVICDESK_SMTP_HOST": "127.0.0.1",
        "CIVICDESK_SMTP_PORT": str(server.port),
        "CIVICDESK_ALERT_LEASE_SECONDS": "2",
        "CIVICDESK_PUBLIC_URL": "http://desk.test",
        "CIVICDESK_OWED_TASK_SWEEP_SECONDS": "1",
    }


def a_policy(agency, *levels: tuple[int, str]) -> None:
    policy_ = EscalationPolicy.objects.create(
        organization=agency.district, signal="threat", name="District threats"
    )
    for position, (wait, username) in enumerate(levels, start=1):
        person = UserFactory.create(username=username)
        ContactMethod.objects.create(user=person, kind="email", address=f"{username}@x.example")
        PolicyLevel.objects.create(policy=policy_, position=position, wait_minutes=wait).people.add(
            person
        )


def sent(idempotency_key: str) -> bool:
    return Notification.objects.filter(
        idempotency_key=idempotency_key, status=Notification.Status.SENT
    ).exists()


def test_a_worker_killed_after_sending_loses_no_alert_and_the_repeat_is_recognisable(
    tmp_path, agency, mail_server, flushable_archive
):
    a_policy(agency, (5, "safety_lead"))
    incident, _ = open_or_join(
        item=post(agency.high_school_account, "c1"), signal="threat", reason="explicit"
    )
    [alert] = incident.notifications.all()
    env = env_for(mail_server)
    worker = civicdesk("worker", "--interval", "0.1", var_dir=tmp_path, env=env)
    mail_server.kill_on_first = worker.pid
    scheduler = civicdesk("scheduler", "--interval", "0.2", var_dir=tmp_path, env=env)
    try:
        wait_for(lambda: worker.poll() is not None, timeout=60, what="the worker to be killed")
        assert worker.returncode == -signal.SIGKILL
        assert len(mail_server.messages) == 1
        alert.refresh_from_db()
        assert alert.status == Notification.Status.PENDING  # sent, but never recorded as sent
        replacement = civicdesk("worker", "--interval", "0.1", var_dir=tmp_path, env=env)
        try:
            wait_for(lambda: sent(alert.idempotency_key), timeout=60, what="the alert to be resent")
        finally:
            replacement.terminate()
            replacement.wait(timeout=30)
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
        if worker.poll() is None:
            worker.kill()
    first, repeat = mail_server.messages
    assert first["Message-ID"] == repeat["Message-ID"]
    assert first["Subject"] == repeat["Subject"]
    alert.refresh_from_db()
    assert alert.attempts == 2


def test_the_next_level_is_told_on_time_after_every_process_restarts(
    tmp_path, agency, mail_server, flushable_archive
):
    a_policy(agency, (5, "safety_lead"), (10, "superintendent"))
    env = env_for(mail_server)
    first_run = [
        civicdesk("scheduler", "--interval", "0.2", var_dir=tmp_path, env=env),
        civicdesk("worker", "--interval", "0.1", var_dir=tmp_path, env=env),
    ]
    incident, _ = open_or_join(
        item=post(agency.high_school_account, "c1"), signal="threat", reason="explicit"
    )
    try:
        wait_for(lambda: len(mail_server.messages) == 1, timeout=60, what="level 1's alert")
    finally:
        for process in first_run:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    # While nothing runs, level 1's wait is almost over.
    due = timezone.now() + datetime.timedelta(seconds=3)
    Incident.objects.filter(pk=incident.pk).update(next_level_at=due)
    second_run = [
        civicdesk("scheduler", "--interval", "0.2", var_dir=tmp_path, env=env),
        civicdesk("worker", "--interval", "0.1", var_dir=tmp_path, env=env),
    ]
    try:
        wait_for(lambda: len(mail_server.messages) == 2, timeout=60, what="level 2's alert")
        told_at = timezone.now()
    finally:
        for process in second_run:
            process.terminate()
            process.wait(timeout=30)
    assert "superintendent@x.example" in str(mail_server.messages[1]["To"])
    assert told_at >= due
    assert told_at - due < datetime.timedelta(seconds=20)
    incident.refresh_from_db()
    assert incident.current_level == 2
