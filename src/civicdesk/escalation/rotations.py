"""Who is on call in a rotation at a given moment, and what would leave nobody on call."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from .models import OnCallRotation, RotationMember, RotationOverride


def on_call(rotation: OnCallRotation, at: datetime.datetime) -> User | None:
    """The person on call at ``at``; None when nobody is (no members, or not started yet).

    An override covering ``at`` wins. Hand-offs happen at ``hand_off_time`` on the wall clock of
    the organization's time zone, so a hand-off at 08:00 stays at 08:00 local across a change to
    or from daylight saving time.
    """
    override = (
        RotationOverride.objects.filter(rotation=rotation, starts_at__lte=at, ends_at__gt=at)
        .select_related("user")
        .order_by("-starts_at", "-pk")
        .first()
    )
    if override is not None:
        return override.user
    members = list(RotationMember.objects.filter(rotation=rotation).select_related("user"))
    if not members:
        return None
    shift = shift_number(rotation, at)
    if shift is None:
        return None
    return members[shift % len(members)].user


def shift_number(rotation: OnCallRotation, at: datetime.datetime) -> int | None:
    """0 for the first person's first shift, then 1, 2, …; None before the rotation starts."""
    local = at.astimezone(ZoneInfo(rotation.organization.time_zone))
    # The day whose hand-off last happened: before today's hand-off time, that was yesterday's.
    day = local.date()
    if local.time() < rotation.hand_off_time:
        day -= datetime.timedelta(days=1)
    if day < rotation.starts_on:
        return None
    if rotation.hand_off == OnCallRotation.HandOff.DAILY:
        return (day - rotation.starts_on).days
    # Weekly: the first person is on call from the start until the first hand-off weekday after it.
    days_to_first = (rotation.hand_off_weekday - rotation.starts_on.weekday()) % 7 or 7
    first_hand_off = rotation.starts_on + datetime.timedelta(days=days_to_first)
    if day < first_hand_off:
        return 0
    return (day - first_hand_off).days // 7 + 1


@dataclass(frozen=True)
class Span:
    """An override as typed in a form or stored: who, from when, until when."""

    who: str
    starts_at: datetime.datetime | None
    ends_at: datetime.datetime | None


def override_problems(spans: Sequence[Span]) -> list[str]:
    """Overrides that end before they start, or that overlap each other, in sentences."""
    problems = []
    complete: list[Span] = []
    for span in spans:
        if span.starts_at is None or span.ends_at is None:
            continue
        if span.ends_at <= span.starts_at:
            problems.append(
                f"The override for {span.who} ends before it starts. Check its start and end."
            )
        else:
            complete.append(span)
    complete.sort(key=lambda s: s.starts_at or datetime.datetime.min)
    for earlier, later in zip(complete, complete[1:], strict=False):
        assert earlier.ends_at is not None and later.starts_at is not None
        if later.starts_at < earlier.ends_at:
            problems.append(
                f"The overrides for {earlier.who} and {later.who} overlap, so it is unclear who "
                "is on call. Shorten one so that one ends before the other starts."
            )
    return problems


def member_problems(rotation_name: str, member_count: int) -> list[str]:
    if member_count == 0:
        return [
            f"Add at least one person to “{rotation_name}”: a rotation with nobody in it "
            "leaves a gap, and alerts sent to it reach no one."
        ]
    return []


def validate(rotation: OnCallRotation) -> list[str]:
    """What would leave a gap in this rotation, in sentences; empty when there is none."""
    spans = [
        Span(o.user.get_username(), o.starts_at, o.ends_at)
        for o in rotation.overrides.select_related("user")
    ]
    return member_problems(rotation.name, rotation.members.count()) + override_problems(spans)
