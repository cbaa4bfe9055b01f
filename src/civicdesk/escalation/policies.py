"""Which escalation policy covers a unit, and what makes a policy unable to reach anyone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from civicdesk.core.models import Unit

from .models import EscalationPolicy, PolicyLevel


def policy_for(unit: Unit, signal: str) -> EscalationPolicy | None:
    """The unit's own policy for ``signal``, else its parent's, …, else the organization-wide one."""
    policies = {
        p.unit_id: p
        for p in EscalationPolicy.objects.filter(
            organization_id=unit.organization_id, signal=signal
        )
    }
    if not policies:
        return None
    parents = dict(
        Unit.objects.filter(organization_id=unit.organization_id).values_list("pk", "parent_id")
    )
    current: int | None = unit.pk
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current in policies:
            return policies[current]
        seen.add(current)
        current = parents.get(current)
    return policies.get(None)


@dataclass(frozen=True)
class LevelPlan:
    """A level as typed in a form or stored: enough to tell whether it can reach anyone."""

    position: int
    people: int
    rotations: int
    then_policy_id: int | None = None


def problems(*, name: str, policy_id: int | None, levels: Sequence[LevelPlan]) -> list[str]:
    """What would keep the policy from reaching someone, in sentences; empty when nothing would."""
    if not levels:
        return [f"Add a first level to “{name}”: a policy with no level tells nobody."]
    found = []
    ordered = sorted(levels, key=lambda level: level.position)
    for level in ordered:
        if level.people == 0 and level.rotations == 0:
            found.append(
                f"Level {level.position} of “{name}” names nobody. Add a person or an on-call "
                "rotation, or remove the level."
            )
    for level in ordered[:-1]:
        if level.then_policy_id is not None:
            found.append(
                f"Only the last level can hand over to another policy; level {level.position} "
                "is not the last."
            )
    loop = _hand_over_loop(policy_id, ordered[-1].then_policy_id)
    if loop:
        found.append(
            f"The hand-overs from “{name}” go {' → '.join(loop)} and back again, so alerts "
            "would go round for ever. Point the last hand-over to a policy that ends."
        )
    return found


def validate(policy: EscalationPolicy) -> list[str]:
    levels = [
        LevelPlan(
            position=level.position,
            people=level.people.count(),
            rotations=level.rotations.count(),
            then_policy_id=level.then_policy_id,
        )
        for level in policy.levels.all()
    ]
    return problems(name=policy.name, policy_id=policy.pk, levels=levels)


def _hand_over_loop(policy_id: int | None, then_id: int | None) -> list[str]:
    """The names along the hand-over chain when it comes back to a policy already on it."""
    chain: list[int] = [policy_id] if policy_id is not None else []
    current = then_id
    while current is not None:
        if current in chain:
            names = dict(EscalationPolicy.objects.filter(pk__in=chain).values_list("pk", "name"))
            return [f"“{names[pk]}”" for pk in chain[chain.index(current) :] + [current]]
        chain.append(current)
        current = (
            PolicyLevel.objects.filter(policy_id=current)
            .order_by("-position")
            .values_list("then_policy_id", flat=True)
            .first()
        )
    return []
