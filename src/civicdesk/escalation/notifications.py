"""The alerts owed to each person of a level, and which of them are due to be sent.

Sending belongs to the delivery channels; this module only records what must be sent, once.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from .models import Incident, IncidentNote, Notification, PolicyLevel, Signal
from .recipients import level_recipients

# Someone's safety may be at stake: these reach people at any hour.
NEVER_QUIET = frozenset({Signal.THREAT, Signal.SELF_HARM})


def quiet_hours_apply(signal: str) -> bool:
    """Whether a person's quiet hours may hold back an alert about ``signal``: never for a threat
    or self-harm, whatever the person prefers."""
    return signal not in NEVER_QUIET


def notify_level(*, incident: Incident, level: PolicyLevel, at: datetime.datetime) -> list[str]:
    """Record one pending alert per (person, working contact method) of ``level``; returns gaps.

    A person with no working contact method gets a row that says so (nothing is skipped in
    silence), and each gap is written on the incident as a note. The idempotency key makes a
    repeated alert a no-op, so a retried level never pages anyone twice.
    """
    resolved = level_recipients(level, at)
    rows = []
    for recipient in resolved.recipients:
        for method in recipient.contacts:
            rows.append(
                Notification(
                    incident=incident,
                    level=level.position,
                    recipient=recipient.user,
                    contact_method=method,
                    channel=method.kind,
                    next_attempt_at=at,
                    idempotency_key=f"{incident.pk}:{level.pk}:{method.pk}",
                    created_at=at,
                )
            )
        if not recipient.contacts:
            rows.append(
                Notification(
                    incident=incident,
                    level=level.position,
                    recipient=recipient.user,
                    status=Notification.Status.GAVE_UP,
                    error="No working contact method.",
                    idempotency_key=f"{incident.pk}:{level.pk}:person-{recipient.user.pk}",
                    created_at=at,
                )
            )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    IncidentNote.objects.bulk_create(
        IncidentNote(incident=incident, text=f"Level {level.position}: {gap}", at=at)
        for gap in resolved.gaps
    )
    return resolved.gaps


def due(now: datetime.datetime) -> QuerySet[Notification]:
    """Alerts to send now: waiting, or failed and due for another try, oldest first.

    Alerts of a closed incident are left unsent: nobody needs waking for a false alarm.
    """
    return (
        Notification.objects.filter(
            status__in=[Notification.Status.PENDING, Notification.Status.FAILED],
            next_attempt_at__lte=now,
        )
        .exclude(incident__status__in=[Incident.Status.RESOLVED, Incident.Status.FALSE_ALARM])
        .select_related("incident", "recipient", "contact_method")
        .order_by("next_attempt_at", "pk")
    )
