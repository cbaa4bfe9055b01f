"""Incidents: opening one for an escalated item, telling level after level, and closing it."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.archive.models import Item
from civicdesk.core import audit

from . import evidence, notifications, policies
from .models import Acknowledgement, Incident, IncidentNote, JoinedItem, Notification, PolicyLevel

# A later item in the same thread, or by the same author, within this time joins the incident.
JOIN_WINDOW = datetime.timedelta(hours=1)
ACTIVE = [Incident.Status.OPEN, Incident.Status.ACKNOWLEDGED]
CLOSING = {Incident.Status.RESOLVED, Incident.Status.FALSE_ALARM}


def thread_key(item: Item) -> str:
    return f"{item.account_id}:{item.thread_platform_id or item.platform_id}"


def author_key(item: Item) -> str:
    """Empty for an item with no author handle: anonymous posts are not one author."""
    handle = item.author_handle.strip().lower()
    return f"{item.account_id}:{handle}" if handle else ""


@transaction.atomic
def open_or_join(
    *, item: Item, signal: str, reason: str, at: datetime.datetime | None = None
) -> tuple[Incident, bool]:
    """Open an incident for an escalated item and tell its first level; or join an open one.

    An open incident for the same signal, opened within the last hour in the same thread or by
    the same author (on the same account), takes the item instead of a new incident. Returns
    ``(incident, created)``; calling it again for the same item changes nothing.
    """
    at = at or timezone.now()
    # Escalations on one account wait for each other, so two workers cannot both find no
    # incident for one thread and open two.
    Account.objects.select_for_update().filter(pk=item.account_id).first()
    already = _active_incident_with(item, signal)
    if already is not None:
        return already, False
    thread, author = thread_key(item), author_key(item)
    same_conversation = Q(thread_key=thread) | (Q(author_key=author) if author else Q())
    joining = (
        Incident.objects.filter(
            organization_id=item.account.organization_id,
            signal=signal,
            status__in=ACTIVE,
            opened_at__gte=at - JOIN_WINDOW,
        )
        .filter(same_conversation)
        .order_by("opened_at", "pk")
        .first()
    )
    frozen, digest = evidence.freeze(item, at)
    if joining is not None:
        JoinedItem.objects.create(
            incident=joining,
            item=item,
            reason=reason,
            joined_at=at,
            evidence=frozen,
            evidence_sha256=digest,
        )
        audit.record("escalation.item_joined", target=joining, item=item.pk, reason=reason)
        return joining, False
    policy = policies.policy_for(item.account.unit, signal)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                organization_id=item.account.organization_id,
                unit_id=item.account.unit_id,
                signal=signal,
                item=item,
                reason=reason,
                thread_key=thread,
                author_key=author,
                opened_at=at,
                policy=policy,
                evidence=frozen,
                evidence_sha256=digest,
            )
    except IntegrityError:
        # Another worker opened it between the lock and here (only possible without row locks).
        found = _active_incident_with(item, signal)
        if found is None:
            raise
        return found, False
    first = policy.levels.order_by("position").first() if policy is not None else None
    gaps = _tell(incident, first, at)
    if first is None:
        IncidentNote.objects.create(
            incident=incident,
            text="No escalation policy with a level covers this unit, so nobody has been told. "
            "Add a policy and tell the safety team yourself.",
            at=at,
        )
    audit.record(
        "escalation.incident_opened",
        target=incident,
        item=item.pk,
        signal=signal,
        reason=reason,
        policy=policy.pk if policy is not None else None,
        gaps=gaps,
    )
    return incident, True


def _active_incident_with(item: Item, signal: str) -> Incident | None:
    return (
        Incident.objects.filter(signal=signal, status__in=ACTIVE)
        .filter(Q(item=item) | Q(joined_items__item=item))
        .order_by("opened_at", "pk")
        .first()
    )


def _tell(incident: Incident, level: PolicyLevel | None, at: datetime.datetime) -> list[str]:
    """Tell ``level`` and set the timer for the one after it; no level stops the timer."""
    if level is None:
        Incident.objects.filter(pk=incident.pk).update(next_level_at=None)
        return []
    gaps = notifications.notify_level(incident=incident, level=level, at=at)
    incident.policy_id = level.policy_id
    incident.current_level = level.position
    incident.next_level_at = at + datetime.timedelta(minutes=level.wait_minutes)
    Incident.objects.filter(pk=incident.pk).update(
        policy_id=incident.policy_id,
        current_level=incident.current_level,
        next_level_at=incident.next_level_at,
    )
    return gaps


def advance_due(now: datetime.datetime | None = None) -> int:
    """Tell the next level of every open incident whose timer has run out; returns how many.

    Each incident is claimed with a conditional UPDATE, so two schedulers running at once
    advance it once, and running this again before the next timer does nothing.
    """
    now = now or timezone.now()
    due = Incident.objects.filter(status=Incident.Status.OPEN, next_level_at__lte=now)
    return sum(_advance(pk, now) for pk in due.values_list("pk", flat=True))


@transaction.atomic
def _advance(pk: int, now: datetime.datetime) -> bool:
    incident = Incident.objects.select_related("policy").get(pk=pk)
    following = _next_level(incident)
    claimed = Incident.objects.filter(
        pk=pk,
        status=Incident.Status.OPEN,
        next_level_at=incident.next_level_at,
        next_level_at__lte=now,
        current_level=incident.current_level,
        policy_id=incident.policy_id,
    ).update(next_level_at=None)
    if not claimed:
        return False  # acknowledged meanwhile, or another scheduler got there first
    if following is None:
        IncidentNote.objects.create(
            incident=incident,
            text="Every level of the policy has been told and nobody has acknowledged. "
            "Call the safety team directly.",
            at=now,
        )
        audit.record("escalation.levels_exhausted", target=incident, level=incident.current_level)
        return True
    handed_over = following.policy_id != incident.policy_id
    gaps = _tell(incident, following, now)
    audit.record(
        "escalation.handed_over" if handed_over else "escalation.level_told",
        target=incident,
        policy=following.policy_id,
        level=following.position,
        gaps=gaps,
    )
    return True


def _next_level(incident: Incident) -> PolicyLevel | None:
    if incident.policy is None:
        return None
    levels = list(incident.policy.levels.order_by("position"))
    later = [level for level in levels if level.position > incident.current_level]
    if later:
        return later[0]
    if levels and levels[-1].then_policy_id is not None:
        return PolicyLevel.objects.filter(policy_id=levels[-1].then_policy_id).first()
    return None


@transaction.atomic
def acknowledge(
    *,
    incident: Incident,
    user: User | None,
    channel: str,
    at: datetime.datetime | None = None,
    via: Notification | None = None,
    request: HttpRequest | None = None,
) -> Acknowledgement:
    """Record that ``user`` has seen the incident; the first acknowledgement stops the timer.

    Later acknowledgements, even of a closed incident, are recorded too: who saw it, and when,
    is part of the record.
    """
    at = at or timezone.now()
    acknowledgement = Acknowledgement.objects.create(
        incident=incident, user=user, channel=channel, at=at, via=via
    )
    first = Incident.objects.filter(pk=incident.pk, status=Incident.Status.OPEN).update(
        status=Incident.Status.ACKNOWLEDGED,
        acknowledged_at=at,
        acknowledged_by=user,
        next_level_at=None,
    )
    if first and user is not None:
        Incident.objects.filter(pk=incident.pk, owner__isnull=True).update(owner=user)
    incident.refresh_from_db()
    audit.record(
        "escalation.acknowledged",
        target=incident,
        by=user,
        request=request,
        channel=channel,
        first=bool(first),
    )
    return acknowledgement


@transaction.atomic
def resolve(
    *,
    incident: Incident,
    user: User,
    status: str,
    note: str = "",
    at: datetime.datetime | None = None,
    request: HttpRequest | None = None,
) -> Incident:
    """Close the incident as resolved or as a false alarm; nobody further is told.

    Raises ValueError, with a sentence to show, for another status or an incident already closed.
    """
    if status not in CLOSING:
        raise ValueError("Choose resolved or false alarm.")
    at = at or timezone.now()
    closed = Incident.objects.filter(pk=incident.pk, status__in=ACTIVE).update(
        status=status, resolved_at=at, next_level_at=None
    )
    if not closed:
        raise ValueError("This incident is already closed.")
    Incident.objects.filter(pk=incident.pk, owner__isnull=True).update(owner=user)
    if note.strip():
        IncidentNote.objects.create(incident=incident, author=user, text=note.strip(), at=at)
    incident.refresh_from_db()
    audit.record(f"escalation.{status}", target=incident, by=user, request=request)
    return incident


@transaction.atomic
def add_note(
    *,
    incident: Incident,
    author: User,
    text: str,
    at: datetime.datetime | None = None,
    request: HttpRequest | None = None,
) -> IncidentNote:
    """Add a note to the incident's timeline. Raises ValueError for an empty note."""
    if not text.strip():
        raise ValueError("Write something in the note before adding it.")
    note = IncidentNote.objects.create(
        incident=incident, author=author, text=text.strip(), at=at or timezone.now()
    )
    audit.record("escalation.note_added", target=incident, by=author, request=request)
    return note
