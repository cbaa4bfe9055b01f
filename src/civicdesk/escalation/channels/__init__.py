"""How an escalation alert reaches a person: e-mail, text message or a webhook.

:func:`deliver` is the one way in. It never raises for a delivery problem (a refused address,
a provider that is down, a channel that is not set up); it returns an :class:`Outcome` saying
whether to try again.
"""

from __future__ import annotations

import enum

from .alert import Alert
from .email import send_email
from .outcome import MAX_ATTEMPTS, Outcome, Status, backoff
from .sms import send_sms
from .webhook import Flavor, send_webhook, verify_signature

__all__ = [
    "MAX_ATTEMPTS",
    "Alert",
    "ContactKind",
    "Outcome",
    "Status",
    "backoff",
    "deliver",
    "verify_signature",
]


class ContactKind(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK_SLACK = "webhook_slack"
    WEBHOOK_TEAMS = "webhook_teams"
    WEBHOOK_JSON = "webhook_json"


_WEBHOOKS = {
    ContactKind.WEBHOOK_SLACK: Flavor.SLACK,
    ContactKind.WEBHOOK_TEAMS: Flavor.TEAMS,
    ContactKind.WEBHOOK_JSON: Flavor.JSON,
}


def deliver(
    alert: Alert, kind: ContactKind | str, address: str, secret: str | None = None
) -> Outcome:
    """Send ``alert`` to one contact: ``address`` is an e-mail address, a phone number or a URL.

    ``secret`` signs ``webhook_json`` posts and is ignored otherwise. Raises ``ValueError`` for a
    kind that is not a :class:`ContactKind`.
    """
    kind = ContactKind(kind)
    if kind is ContactKind.EMAIL:
        return send_email(alert, address)
    if kind is ContactKind.SMS:
        return send_sms(alert, address)
    return send_webhook(alert, address, _WEBHOOKS[kind], secret=secret)
