"""Acknowledge links: signed, expiring and good once, so nobody has to sign in at 11 p.m.

The link carries only the notification's id, signed with the site's secret key and stamped
with the time it was made. Whether it was used already is the database's business (an
acknowledgement through that notification), not the link's.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

SALT = "civicdesk.escalation.acknowledge"
LIFETIME = timedelta(hours=24)


class LinkProblem(Exception):
    """A link that cannot acknowledge anything; the message says why, for the page."""


def acknowledge_token(notification_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(notification_id))


def notification_of(token: str, *, lifetime: timedelta = LIFETIME) -> int:
    """The notification a token was made for; raises LinkProblem if forged or expired."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=lifetime)
    except signing.SignatureExpired as exc:
        raise LinkProblem(
            "This acknowledge link has expired. Open the incident in Civic Desk to acknowledge it."
        ) from exc
    except signing.BadSignature as exc:
        raise LinkProblem(
            "This acknowledge link is not valid: it was changed or was never sent by Civic Desk."
        ) from exc
    if not value.isdigit():
        raise LinkProblem("This acknowledge link is not valid.")
    return int(value)
