"""Sending the alerts an incident owes, each until it is accepted, refused or given up.

An alert is claimed before it is sent: its next try moves a lease ahead, and the claim commits
before the channel is called. A worker killed between the channel's answer and recording it
leaves the alert due again when the lease runs out, and the repeat carries the same idempotency
key (the e-mail the same Message-ID), so it is recognisable as the same alert. Nothing is lost;
at worst one person gets one alert twice, marked as the same.
"""

from __future__ import annotations

import datetime
import json
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import channels
from .links import acknowledge_token
from .models import ContactMethod, Incident, IncidentNote, Notification

logger = logging.getLogger(__name__)

THREAD_SHOWN = 4


def sending_lease() -> datetime.timedelta:
    """How long a claimed alert waits before it is sent again, if its sender never came back."""
    return datetime.timedelta(seconds=settings.ALERT_LEASE_SECONDS)


def public_url(path: str) -> str:
    return settings.PUBLIC_URL.rstrip("/") + path


def alert_for(notification: Notification) -> channels.Alert:
    incident = notification.incident
    evidence = incident.evidence or {}
    item = evidence.get("item") or {}
    text = _latest_text(item)
    thread = [
        (
            str(other.get("author_handle") or other.get("author_name") or "someone"),
            _latest_text(other),
        )
        for other in evidence.get("thread", [])
        if other.get("id") != item.get("id")
    ][-THREAD_SHOWN:]
    account = incident.item.account
    where = incident.unit.name
    what = incident.get_signal_display()
    ack = public_url(
        reverse("escalation:acknowledge_link", args=[acknowledge_token(notification.pk)])
    )
    return channels.Alert(
        one_line=f"{what} on {account.display_name} ({where}): “{_snippet(text)}”",
        reason=incident.reason or what,
        text=text,
        thread=tuple(thread),
        account=account.display_name,
        platform=account.get_platform_display(),
        item_url=public_url(reverse("inbox:item", args=[incident.item_id])),
        ack_url=ack,
        short_ack_url=ack,
        incident_ref=f"Incident {incident.pk}",
        idempotency_key=notification.idempotency_key,
        raised_at=incident.opened_at,
    )


def _latest_text(frozen_item: dict[str, object]) -> str:
    versions = frozen_item.get("versions") or []
    if not isinstance(versions, list) or not versions:
        return ""
    try:
        return str(json.loads(str(versions[-1].get("content", "{}"))).get("text", ""))
    except (ValueError, AttributeError):
        return ""


def _snippet(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def claim_due(*, now: datetime.datetime | None = None, limit: int = 200) -> list[int]:
    """Claim the alerts due now for one sending task: their next try moves a lease ahead.

    A conditional update per alert, so two schedulers never hand the same alert out twice; a
    task that is lost (its worker died, the queue was down) leaves them due again after the lease.
    """
    from .notifications import due

    now = now or timezone.now()
    claimed = []
    for pk, at in due(now).values_list("pk", "next_attempt_at")[:limit]:
        if Notification.objects.filter(pk=pk, next_attempt_at=at).update(
            next_attempt_at=now + sending_lease()
        ):
            claimed.append(pk)
    return claimed


def send(pk: int, *, now: datetime.datetime | None = None, claimed: bool = False) -> str:
    """Send one alert if it is still owed; returns "sent", "retry", "gave_up" or "skipped".

    ``claimed``: the scheduler handed this alert out (see :func:`claim_due`), so its next try
    lies ahead by the lease; otherwise it is sent only if it is due now.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("incident__item__account", "incident__unit", "contact_method")
            .filter(pk=pk)
            .first()
        )
        if notification is None or not _still_due(notification, now, claimed=claimed):
            return "skipped"
        notification.attempts += 1
        notification.next_attempt_at = now + sending_lease()
        notification.save(update_fields=["attempts", "next_attempt_at"])
    method = notification.contact_method
    if method is None or not method.is_active:
        return _give_up(notification, "The contact method was removed or turned off.", now)
    try:
        alert = alert_for(notification)
        outcome = channels.deliver(alert, method.kind, method.address, method.signing_secret)
    except ValueError as exc:  # an address or URL no channel can use: trying again won't help
        return _give_up(notification, str(exc), now)
    return _record(notification, method, outcome, now)


def _still_due(notification: Notification, now: datetime.datetime, *, claimed: bool) -> bool:
    waiting = notification.status in (Notification.Status.PENDING, Notification.Status.FAILED)
    next_try = notification.next_attempt_at
    due_now = next_try is not None and (claimed or next_try <= now)
    return waiting and due_now and not notification.incident.is_closed


@transaction.atomic
def _record(
    notification: Notification,
    method: ContactMethod,
    outcome: channels.Outcome,
    now: datetime.datetime,
) -> str:
    if outcome.status == channels.Status.DELIVERED:
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.SENT,
            sent_at=now,
            provider_message_id=outcome.provider_id or "",
            error="",
            next_attempt_at=None,
        )
        return "sent"
    if outcome.status == channels.Status.RETRY and notification.attempts < channels.MAX_ATTEMPTS:
        wait = max(channels.backoff(notification.attempts), outcome.retry_after or 0)
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED,
            error=outcome.error,
            next_attempt_at=now + datetime.timedelta(seconds=wait),
        )
        return "retry"
    ContactMethod.objects.filter(pk=method.pk).update(last_failure=outcome.error)
    return _give_up(notification, outcome.error, now)


def _give_up(notification: Notification, error: str, now: datetime.datetime) -> str:
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.GAVE_UP, error=error, next_attempt_at=None
        )
        IncidentNote.objects.create(
            incident_id=notification.incident_id,
            text=f"The alert to {notification.recipient} by {notification.channel or 'no channel'}"
            f" was not sent: {error}",
            at=now,
        )
    logger.warning("Alert %s given up: %s", notification.idempotency_key, error)
    return "gave_up"


def alerts_of(incident: Incident) -> list[int]:
    return list(
        incident.notifications.filter(status=Notification.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
