"""Starting the demo's mail sink beside the demo, and pointing every process's mail at it."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from civicdesk.core.supervisor import Child, civicdesk


@dataclass(frozen=True)
class MailSink:
    child: Child
    folder: Path
    port: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mail_sink() -> MailSink:
    """The sink's process, on a free local port; the processes started after it inherit the
    settings that send their mail there and show it at /demo/mail/."""
    folder = Path(settings.VAR_DIR) / "demo-mail"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    os.environ["CIVICDESK_SMTP_HOST"] = "127.0.0.1"
    os.environ["CIVICDESK_SMTP_PORT"] = str(port)
    os.environ["CIVICDESK_DEMO_MAIL_DIR"] = str(folder)
    child = Child(
        "mail sink",
        civicdesk("mailsink", "--address", f"127.0.0.1:{port}", "--folder", str(folder)),
    )
    return MailSink(child=child, folder=folder, port=port)
