"""Routing rules: which queue, person, tag or escalation an assessed item gets, and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from civicdesk.core.access import units_below
from civicdesk.core.models import Unit
from civicdesk.triage.priority import is_explicit

from .models import RoutingRule


@dataclass
class Routing:
    queue: Unit | None = None
    assignee: User | None = None
    tags: list[str] = field(default_factory=list)
    escalate: bool = False
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Facts:
    """What a rule can look at."""

    text: str
    signals: Mapping[str, Mapping[str, Any]]
    language: str
    account_id: int
    unit_id: int


def _matches(rule: RoutingRule, facts: Facts, unit_scope: set[int] | None) -> str | None:
    """Why the rule matches, in words, or None."""
    why: list[str] = []
    if rule.signals:
        positive = [s for s in rule.signals if facts.signals.get(s, {}).get("positive")]
        if rule.signal_match == RoutingRule.Match.ALL and len(positive) < len(rule.signals):
            return None
        if not positive:
            return None
        why.append(" and ".join(s.replace("_", " ") for s in positive))
    if rule.keywords:
        lowered = facts.text.casefold()
        found = [k for k in rule.keywords if k.casefold() in lowered]
        if not found:
            return None
        why.append(f"mentions '{found[0]}'")
    if rule.language and facts.language != rule.language:
        return None
    if rule.language:
        why.append(f"in {rule.language}")
    if rule.account_id and rule.account_id != facts.account_id:
        return None
    if unit_scope is not None and facts.unit_id not in unit_scope:
        return None
    return ", ".join(why) or "every item"


def _only_a_possible_threat(rule: RoutingRule, facts: Facts) -> bool:
    """The rule matched on signals, and all it matched is threat or self-harm short of "act now"."""
    if not rule.signals:
        return False
    positive = [s for s in rule.signals if facts.signals.get(s, {}).get("positive")]
    return bool(positive) and all(
        name in ("threat", "self_harm")
        and not is_explicit(
            name,
            positive=True,
            score=float(facts.signals[name].get("score", 0.0)),
            rule_score=float(facts.signals[name].get("rule_score", 0.0)),
        )
        for name in positive
    )


def route(
    *, facts: Facts, rules: Sequence[RoutingRule], scopes: dict[int, set[int]] | None = None
) -> Routing:
    """Apply the organization's enabled rules, in order, to one item.

    ``scopes`` keeps the units under each rule's unit from one item to the next of a batch.
    """
    routing = Routing()
    scopes = {} if scopes is None else scopes
    for rule in rules:
        if not rule.is_enabled:
            continue
        scope = None
        if rule.unit_id:
            scope = scopes.setdefault(rule.unit_id, units_below({rule.unit_id}))
        why = _matches(rule, facts, scope)
        if why is None:
            continue
        acted: list[str] = []
        # A rule without a queue or an assignee reads None here, without a query.
        if routing.queue is None and (queue := rule.route_to) is not None:
            routing.queue = queue
            acted.append(f"sent to {queue.name}")
        if routing.assignee is None and (assignee := rule.assign_to) is not None:
            routing.assignee = assignee
            acted.append(f"assigned to {assignee.get_username()}")
        if rule.tag and rule.tag not in routing.tags:
            routing.tags.append(rule.tag)
            acted.append(f"tagged {rule.tag}")
        if rule.escalate and _only_a_possible_threat(rule, facts):
            # A possible threat is one of many flagged to keep recall at 95 %; it goes to
            # the rule's queue for review without paging anyone.
            acted.append("not escalated (possible threat, for review)")
        elif rule.escalate:
            routing.escalate = True
            acted.append("escalated")
        if acted:
            routing.reasons.append(f"Rule “{rule.name}” ({why}): {', '.join(acted)}.")
    return routing


def rules_for(organization_ids: Iterable[int]) -> dict[int, list[RoutingRule]]:
    by_org: dict[int, list[RoutingRule]] = {}
    for rule in RoutingRule.objects.filter(
        organization_id__in=list(organization_ids), is_enabled=True
    ).select_related("route_to", "assign_to"):
        by_org.setdefault(rule.organization_id, []).append(rule)
    return by_org
