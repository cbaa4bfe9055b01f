from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from civicdesk.escalation.channels import Alert

HOSTILE = (
    "<script>alert(1)</script> <b>bold</b> &amp; <!channel> <!here> @here @channel @everyone "
    "<@U123> [click](https://evil.example) **loud** \u202eevil\u202c \u2066iso\u2069 "
    "zero\u200bwidth \x00\x07\x1b[31m \ud800"
)


def make_alert(**changes: Any) -> Alert:
    """Lincoln Middle's threat alert; pass fields to change it."""
    alert = Alert(
        one_line="Possible threat on Lincoln Middle's Facebook: 'someone should …'",
        reason="Threat of violence against a school",
        text="someone should do something about that school tomorrow",
        thread=(
            ("Pat Parent", "Pickup is at 3 today?"),
            ("Lincoln Middle", "Yes, 3:00 as usual."),
        ),
        account="Lincoln Middle",
        platform="Facebook",
        item_url="https://cd.example/inbox/items/314",
        ack_url="https://cd.example/escalation/ack/42/abc.def-ghi",
        short_ack_url="https://cd.example/a/Xy12",
        incident_ref="Incident 42",
        idempotency_key="incident-42-contact-7-step-1",
        raised_at=datetime(2025, 3, 4, 15, 30, tzinfo=UTC),
    )
    return dataclasses.replace(alert, **changes)
