"""The demo's mail sink: a local SMTP server that keeps every message it is sent as a file.

``civicdesk demo`` starts it and points the whole demo's mail at it, so a newcomer can watch
an alert arrive (the page ``/demo/mail/``) without any real mail server. Each message is one
``.eml`` file, written whole under a temporary name and then renamed, so the page never reads
half a message.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

SUFFIX = ".eml"


class KeepInFolder:
    """An aiosmtpd handler that writes each message it accepts into ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        keep(self.folder, envelope.content, envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def keep(folder: Path, content: bytes, recipients: list[str]) -> Path:
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%f")
    name = f"{stamp}-{uuid.uuid4().hex[:12]}"
    envelope = "".join(f"X-Envelope-To: {r}\r\n" for r in recipients).encode()
    partial = folder / f".{name}.part"
    partial.write_bytes(envelope + content)
    path = folder / f"{name}{SUFFIX}"
    os.replace(partial, path)
    return path


@dataclass(frozen=True)
class CaughtMail:
    key: str
    received_at: datetime
    sender: str
    recipients: list[str]
    subject: str
    text: str
    problem: str = ""


def read(path: Path) -> CaughtMail:
    """One caught message; a file that is not a readable message says so instead of failing."""
    received = datetime.strptime(path.stem.split("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    try:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        recipients = [a for _, a in getaddresses(message.get_all("X-Envelope-To", []))]
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        if message["Date"]:
            received = parsedate_to_datetime(str(message["Date"]))
        return CaughtMail(
            key=path.stem,
            received_at=received,
            sender=str(message["From"] or ""),
            recipients=recipients or [a for _, a in getaddresses(message.get_all("To", []))],
            subject=str(message["Subject"] or "(no subject)").strip() or "(no subject)",
            text=str(text),
        )
    except (OSError, ValueError, LookupError, AssertionError) as exc:
        return CaughtMail(
            key=path.stem,
            received_at=received,
            sender="",
            recipients=[],
            subject="(unreadable message)",
            text="",
            problem=f"This file could not be read as an e-mail message: {exc}",
        )


def caught(folder: Path) -> list[CaughtMail]:
    """Every message in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"*{SUFFIX}") if is_key(p.stem)]
    return [read(p) for p in sorted(found, reverse=True)]


def is_key(key: str) -> bool:
    stamp, _, rest = key.partition("-")
    return len(stamp) == 21 and stamp[8] == "T" and len(rest) == 12 and rest.isalnum()
