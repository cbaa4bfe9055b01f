"""Who would be told, level by level, and every gap that would leave someone untold."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from civicdesk.core.models import Unit

from . import policies, rotations
from .models import ContactMethod, EscalationPolicy, OnCallRotation, PolicyLevel, Signal


@dataclass
class Recipient:
    user: User
    # The rotation that put this person on call; None when the level names them directly.
    rotation: OnCallRotation | None
    contacts: list[ContactMethod]


@dataclass
class LevelRecipients:
    policy: EscalationPolicy
    level: PolicyLevel
    recipients: list[Recipient]
    gaps: list[str] = field(default_factory=list)


@dataclass
class Plan:
    unit: Unit
    signal: str
    at: datetime.datetime
    policy: EscalationPolicy | None
    levels: list[LevelRecipients]
    gaps: list[str] = field(default_factory=list)

    @property
    def all_gaps(self) -> list[str]:
        return self.gaps + [gap for level in self.levels for gap in level.gaps]


def who_would_be_told(unit: Unit, signal: str, at: datetime.datetime) -> Plan:
    """The policy covering ``unit`` and each of its levels (hand-overs followed) as of ``at``."""
    policy = policies.policy_for(unit, signal)
    if policy is None:
        gap = (
            f"No escalation policy covers {Signal(signal).label.lower()} for {unit.name}, the "
            "units above it, or the whole organization, so nobody would be told. Add one."
        )
        return Plan(unit=unit, signal=signal, at=at, policy=None, levels=[], gaps=[gap])
    plan = Plan(unit=unit, signal=signal, at=at, policy=policy, levels=[])
    seen: set[int] = set()
    current: EscalationPolicy | None = policy
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        plan.gaps.extend(policies.validate(current))
        levels = list(current.levels.prefetch_related("people", "rotations__organization"))
        plan.levels.extend(level_recipients(level, at) for level in levels)
        current = levels[-1].then_policy if levels else None
    return plan


def level_recipients(level: PolicyLevel, at: datetime.datetime) -> LevelRecipients:
    """The people of one level as of ``at``, rotations resolved to whoever is on call then."""
    found = LevelRecipients(policy=level.policy, level=level, recipients=[])
    chosen: list[tuple[User, OnCallRotation | None]] = [(p, None) for p in level.people.all()]
    for rotation in level.rotations.all():
        person = rotations.on_call(rotation, at)
        if person is None:
            found.gaps.append(
                f"Nobody is on call in “{rotation.name}” at {_local(at, rotation)}. Add people "
                "to the rotation or an override for this time."
            )
        else:
            chosen.append((person, rotation))
    if not chosen and not found.gaps:
        found.gaps.append(
            f"Level {level.position} of “{level.policy.name}” names nobody. Add a person or an "
            "on-call rotation."
        )
    methods = _working_methods({user.pk for user, _ in chosen})
    seen: set[int] = set()
    for user, via in chosen:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        reachable = methods.get(user.pk, [])
        found.recipients.append(Recipient(user=user, rotation=via, contacts=reachable))
        if not reachable:
            found.gaps.append(
                f"{_name(user)} has no working way to be reached. Add an e-mail address or a "
                "mobile number to their contact methods."
            )
        for method in reachable:
            if method.last_failure:
                found.gaps.append(
                    f"The last alert to {_name(user)} by {method.get_kind_display().lower()} "
                    f"({method.address}) failed: {method.last_failure}"
                )
    return found


def _working_methods(user_ids: set[int]) -> dict[int, list[ContactMethod]]:
    methods: dict[int, list[ContactMethod]] = {}
    for method in ContactMethod.objects.filter(user_id__in=user_ids, is_active=True):
        methods.setdefault(method.user_id, []).append(method)
    return methods


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _local(at: datetime.datetime, rotation: OnCallRotation) -> str:
    local = at.astimezone(ZoneInfo(rotation.organization.time_zone))
    return f"{local:%Y-%m-%d %H:%M} ({rotation.organization.time_zone})"
