"""Assessing archived versions: score, store with the model's version, prioritize and route.

A classifier failure never blocks anything: ingestion has already committed the item, and the
item is marked "not triaged" with the error, to be retried.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from civicdesk.archive.models import ItemVersion
from civicdesk.core.bulk_rows import insert_rows, update_rows
from civicdesk.inbox.models import Entry
from civicdesk.routing.matching import Facts, route, rules_for
from civicdesk.routing.models import RoutingRule

from .models import Assessment, SignalThreshold
from .priority import ACT_NOW, is_explicit
from .scoring import SignalResult, TriageResult, load_triage

logger = logging.getLogger(__name__)
BATCH = 256


def _signal_json(result: SignalResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "score": round(float(result.score), 4),
        "positive": bool(result.is_positive),
        "threshold": round(float(result.threshold), 4),
        "reason": result.reason,
    }
    if result.label:
        data["label"] = result.label
    if result.rule_score:
        data["rule_score"] = round(float(result.rule_score), 4)
    return data


def thresholds_for(organization_id: int) -> dict[str, float]:
    return dict(
        SignalThreshold.objects.filter(organization_id=organization_id).values_list(
            "signal", "threshold"
        )
    )


@dataclass(frozen=True, slots=True)
class Pending:
    """What assessing and routing need of one archived version, read without building models."""

    version_id: int
    item_id: int
    account_id: int
    text: str


def pending_versions(version_ids: Sequence[int]) -> dict[int, list[Pending]]:
    """The versions to assess, by organization, oldest first; deletions are left out."""
    by_org: dict[int, list[Pending]] = defaultdict(list)
    rows = (
        ItemVersion.objects.filter(pk__in=list(version_ids), is_deletion=False)
        .order_by("pk")
        .values_list(
            "pk", "item_id", "item__account_id", "item__account__organization_id", "content"
        )
    )
    for pk, item_id, account_id, organization_id, content in rows:
        text = json.loads(content).get("text", "")
        by_org[organization_id].append(Pending(pk, item_id, account_id, str(text)))
    return by_org


def assess_versions(*, version_ids: Sequence[int]) -> dict[str, int]:
    """Assess the given versions (deletions keep their item's last assessment); safe to repeat.

    Each batch is stored in one transaction with a fixed number of queries, whatever its size.
    """
    by_org = pending_versions(version_ids)
    rules = rules_for(by_org)
    scopes: dict[int, set[int]] = {}
    counts = {"scored": 0, "failed": 0}
    for organization_id, group in by_org.items():
        limits = thresholds_for(organization_id)
        for start in range(0, len(group), BATCH):
            batch = group[start : start + BATCH]
            try:
                triage = load_triage()
                results: list[TriageResult | Exception] = list(
                    triage.score_many([v.text for v in batch], thresholds=limits)
                )
                model_version = triage.model_version
            except Exception as exc:  # noqa: BLE001 - any classifier fault must leave the item stored, marked
                logger.exception("Triage failed for %d versions", len(batch))
                results, model_version = [exc] * len(batch), "unavailable"
            stored = store_assessments(
                list(zip(batch, results, strict=True)),
                model_version=model_version,
                rules=rules.get(organization_id, []),
                scopes=scopes,
            )
            for status, n in stored.items():
                counts[status] += n
    return counts


def mark_not_triaged(*, version_ids: Sequence[int], error: str) -> int:
    """Show items whose versions could not be assessed at all as "not triaged", with why."""
    return (
        Entry.objects.filter(
            item__versions__pk__in=list(version_ids),
            triage_status=Entry.TriageStatus.PENDING,
        )
        .distinct()
        .update(
            triage_status=Entry.TriageStatus.FAILED,
            triage_error=f"Could not be triaged: {error}"[:2000],
        )
    )


def _assessment(
    version: Pending, result: TriageResult | Exception, model_version: str
) -> Assessment:
    if isinstance(result, Exception):
        return Assessment(
            version_id=version.version_id,
            item_id=version.item_id,
            model_version=model_version,
            status=Assessment.Status.FAILED,
            error=f"{type(result).__name__}: {result}"[:2000],
        )
    return Assessment(
        version_id=version.version_id,
        item_id=version.item_id,
        model_version=model_version,
        status=Assessment.Status.SCORED,
        signals={name: _signal_json(s) for name, s in result.signals.items()},
        language=result.language,
        priority=result.priority,
        priority_label=result.priority_label,
    )


_ENTRY_FIELDS = (
    "triage_status",
    "triage_error",
    "priority",
    "priority_label",
    "signal_badges",
    "queue",
    "assignee",
    "tags",
    "route_reason",
)


_ASSESSMENT_FIELDS = (
    "version",
    "item",
    "model_version",
    "status",
    "error",
    "signals",
    "language",
    "priority",
    "priority_label",
    "assessed_at",
)


@transaction.atomic
def store_assessments(
    assessed: list[tuple[Pending, TriageResult | Exception]],
    *,
    model_version: str,
    rules: Sequence[RoutingRule],
    scopes: dict[int, set[int]] | None = None,
) -> dict[str, int]:
    """Store what triage said about each version, and prioritize and route its inbox entry.

    One transaction and a fixed number of queries for the whole batch. A version this model has
    assessed already is left as it is. Versions are taken in order: of two states of one item,
    the later one decides its entry.
    """
    counts = {"scored": 0, "failed": 0}
    done = set(
        Assessment.objects.filter(
            version_id__in=[v.version_id for v, _ in assessed], model_version=model_version
        ).values_list("version_id", flat=True)
    )
    fresh = [
        (v, r, _assessment(v, r, model_version)) for v, r in assessed if v.version_id not in done
    ]
    for version, result in assessed:
        if version.version_id in done:  # assessed already by this model
            counts["failed" if isinstance(result, Exception) else "scored"] += 1
    now = timezone.now()
    # A concurrent run of the same versions inserts them once; both route alike.
    insert_rows(
        Assessment,
        _ASSESSMENT_FIELDS,
        [
            (
                a.version_id,
                a.item_id,
                a.model_version,
                a.status,
                a.error,
                a.signals,
                a.language,
                a.priority,
                a.priority_label,
                now,
            )
            for _, _, a in fresh
        ],
        skip_existing=True,
    )
    entries = {
        e.item_id: e
        for e in Entry.objects.filter(item_id__in={v.item_id for v, _, _ in fresh})
        .select_for_update()
        .order_by("pk")
    }
    routed: dict[int, Entry] = {}
    escalations: dict[int, dict[str, Any]] = {}
    for version, result, assessment in fresh:
        entry = entries.get(version.item_id)
        counts[str(assessment.status)] += 1
        if entry is None:
            continue
        routed[entry.pk] = entry
        if isinstance(result, Exception):
            entry.triage_status, entry.triage_error = Entry.TriageStatus.FAILED, assessment.error
            continue
        escalation = _route(entry, version, assessment, rules, scopes)
        if escalation is not None:
            escalations[version.item_id] = escalation
        else:
            escalations.pop(version.item_id, None)  # a later state of the item is not escalated
    update_rows(Entry, _ENTRY_FIELDS, routed.values())
    if escalations:
        _owe_escalation(list(escalations.values()))
    return counts


def _owe_escalation(escalations: list[dict[str, Any]]) -> None:
    """Owe the escalation in the transaction that stored the assessments, so it cannot be lost,
    and run it in this worker as soon as that commits: a threat does not wait in the queue. The
    queued copy finds the work done; if this worker dies first, the queued copy does it."""
    from civicdesk.core import owed
    from civicdesk.escalation.tasks import escalate_items

    work = owed.owe(escalate_items, priority=owed.URGENT, max_attempts=20, escalations=escalations)
    transaction.on_commit(
        lambda: escalate_items.call(escalations=escalations, owed_id=work.pk), robust=True
    )


def _route(
    entry: Entry,
    version: Pending,
    assessment: Assessment,
    rules: Sequence[RoutingRule],
    scopes: dict[int, set[int]] | None,
) -> dict[str, Any] | None:
    """Prioritize and route ``entry``; returns what to escalate it for, if anything."""
    routing = route(
        facts=Facts(
            text=version.text,
            signals=assessment.signals,
            language=assessment.language,
            account_id=version.account_id,
            unit_id=entry.unit_id,
        ),
        rules=rules,
        scopes=scopes,
    )
    entry.triage_status, entry.triage_error = Entry.TriageStatus.SCORED, ""
    escalated = routing.escalate and assessment.priority > 1
    entry.priority = 1 if escalated else assessment.priority
    entry.priority_label = "Escalated by a routing rule" if escalated else assessment.priority_label
    entry.signal_badges = [
        name for name, s in assessment.positive_signals if name not in ("sentiment", "emotion")
    ]
    if not entry.queue_is_manual:
        entry.queue = routing.queue
    if routing.assignee is not None and entry.assignee_id is None:
        entry.assignee = routing.assignee
    entry.tags = routing.tags
    entry.route_reason = " ".join(routing.reasons)
    return _escalation(version.item_id, assessment, escalated, entry.route_reason)


def _escalation(
    item_id: int, assessment: Assessment, by_rule: bool, route_reason: str
) -> dict[str, Any] | None:
    if assessment.priority == ACT_NOW.rank:
        for name in ("threat", "self_harm"):
            found = assessment.signals.get(name) or {}
            explicit = is_explicit(
                name,
                positive=bool(found.get("positive")),
                score=float(found.get("score", 0.0)),
                rule_score=float(found.get("rule_score", 0.0)),
            )
            if explicit:
                return {"item_id": item_id, "signal": name, "reason": str(found.get("reason", ""))}
    if by_rule:
        return {"item_id": item_id, "signal": "routing", "reason": route_reason}
    return None
