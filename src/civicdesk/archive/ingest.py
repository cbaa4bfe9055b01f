"""Ingestion: the only way anything is written into the archive.

Idempotent by construction: a record whose canonical content hashes the same as its item's
latest version writes nothing; a different hash writes the next version; a platform id reported
gone writes a deletion version. Unique constraints on (account, platform_id) and (item, seq)
turn a concurrent duplicate into an IntegrityError that rolls the whole batch back, to be
retried, rather than into a second copy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import ItemRecord
from civicdesk.core import owed

from . import rechecks
from .hashing import GENESIS, canonical_content, canonical_json, chain_hash, content_sha256
from .models import Item, ItemVersion

# SQLite allows 32,766 bound parameters per statement; stay well below it.
LOOKUP_CHUNK = 900


@dataclass
class IngestReport:
    created_items: list[Item] = field(default_factory=list)
    changed_item_ids: list[int] = field(default_factory=list)
    new_versions: int = 0
    unchanged: int = 0
    deletions: int = 0

    @property
    def created_item_ids(self) -> list[int]:
        return [item.pk for item in self.created_items]

    def merge(self, other: IngestReport) -> None:
        self.created_items += other.created_items
        self.changed_item_ids += other.changed_item_ids
        self.new_versions += other.new_versions
        self.unchanged += other.unchanged
        self.deletions += other.deletions


@dataclass
class _State:
    item: Item
    content: dict[str, Any]
    sha: str
    chain: str
    seq: int
    is_new: bool = False
    changed: bool = False
    pending: list[ItemVersion] = field(default_factory=list)


# How far back a page holding several states of one item is looked for in its history.
HISTORY_WINDOW = 50


@dataclass
class _PageWalk:
    """Which states of a page are already in their item's history, when a page holds several.

    A page may hold an item's original and its edit (a replay, a thread read whole). Storing that
    page twice (a retry, a push racing a poll) must not write "original, edited, original,
    edited": where the page's sequence of states for an item is already in the item's history
    (its leading states as the newest versions, or the whole sequence anywhere in the recent
    history), those states are not written again. A single state is compared with the latest
    version only, so that an edit back to an earlier wording is still recorded.
    """

    skip: dict[str, int] = field(default_factory=dict)
    seen: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def plan(
        cls,
        records: Sequence[ItemRecord],
        contents: Sequence[dict[str, Any]],
        shas: Sequence[str],
        deleted: Sequence[str],
        states: dict[str, _State],
    ) -> _PageWalk:
        sequences: dict[str, list[str]] = {}
        last: dict[str, dict[str, Any]] = {}
        for record, content, sha in zip(records, contents, shas, strict=True):
            sequence = sequences.setdefault(record.platform_id, [])
            if not sequence or sequence[-1] != sha:
                sequence.append(sha)
            last[record.platform_id] = content
        for platform_id in deleted:
            state = states.get(platform_id)
            base = last.get(platform_id) or (state.content if state else None)
            if base and not base.get("is_deleted"):
                sequences.setdefault(platform_id, []).append(
                    content_sha256({**base, "is_deleted": True})
                )
        several = {
            pid: seq
            for pid, seq in sequences.items()
            if len(seq) > 1 and pid in states and not states[pid].is_new
        }
        walk = cls()
        if not several:
            return walk
        histories = _recent_histories(
            [states[pid] for pid in several], extra=max(map(len, several.values()))
        )
        for pid, sequence in several.items():
            history = histories.get(states[pid].item.pk, [])
            walk.skip[pid] = _already_in(history, sequence)
        return walk

    def already_stored(self, platform_id: str, sha: str) -> bool:
        """Walk the page's states in order; True for those its item's history already holds."""
        skip = self.skip.get(platform_id, 0)
        if not skip:
            return False
        seen = self.seen.setdefault(platform_id, [])
        if not seen or seen[-1] != sha:
            seen.append(sha)
        return len(seen) <= skip


def _already_in(history: list[str], sequence: list[str]) -> int:
    """How many leading states of ``sequence`` need no new version, given ``history``."""
    n = len(sequence)
    for start in range(len(history) - n + 1):
        if history[start : start + n] == sequence:
            return n
    for k in range(min(n, len(history)), 0, -1):
        if history[-k:] == sequence[:k]:
            return k
    return 0


def _recent_histories(states: list[_State], *, extra: int) -> dict[int, list[str]]:
    """The content hashes of each item's newest versions, oldest first."""
    histories: dict[int, list[str]] = {}
    for start in range(0, len(states), LOOKUP_CHUNK // 3):
        chunk = states[start : start + LOOKUP_CHUNK // 3]
        window = Q()
        for state in chunk:
            window |= Q(item_id=state.item.pk, seq__gt=state.seq - HISTORY_WINDOW - extra)
        for item_id, sha in (
            ItemVersion.objects.filter(window)
            .order_by("item_id", "seq")
            .values_list("item_id", "content_sha256")
        ):
            histories.setdefault(item_id, []).append(sha)
    return histories


def _clean(value: str, limit: int) -> str:
    # Short listing columns only; the version keeps the exact text. PostgreSQL rejects NUL.
    return value.replace("\x00", "\ufffd")[:limit]


def _load_states(account: Account, platform_ids: set[str]) -> dict[str, _State]:
    states: dict[str, _State] = {}
    ids = sorted(platform_ids)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        for item in Item.objects.filter(account=account, platform_id__in=chunk).select_related(
            "latest_version"
        ):
            latest = item.latest_version
            assert latest is not None, f"item {item.pk} has no version"
            states[item.platform_id] = _State(
                item=item,
                content=json.loads(latest.content),
                sha=latest.content_sha256,
                chain=latest.chain_hash,
                seq=latest.seq,
            )
    return states


def _new_item(account: Account, record: ItemRecord, thread: str, now: datetime) -> Item:
    return Item(
        account=account,
        platform=account.platform,
        platform_id=_clean(record.platform_id, 255),
        kind=record.kind,
        parent_platform_id=_clean(record.parent_platform_id, 255),
        thread_platform_id=_clean(thread, 255),
        author_handle=_clean(record.author_handle, 255),
        author_name=_clean(record.author_name, 255),
        url=_clean(record.url, 2000),
        language=_clean(record.language, 16),
        created_at=record.created_at,
        first_seen_at=now,
        last_changed_at=now,
        is_by_account=account.is_author_of(
            author_platform_id=record.author_platform_id, author_handle=record.author_handle
        ),
    )


def _append(
    state: _State, content: dict[str, Any], *, observed_at: datetime, source: str, raw: str
) -> None:
    body = canonical_json(content).decode()
    sha = content_sha256(content)
    chained = chain_hash(state.chain, sha, observed_at)
    state.seq += 1
    state.pending.append(
        ItemVersion(
            seq=state.seq,
            observed_at=observed_at,
            source=source,
            content=body,
            content_sha256=sha,
            prev_chain_hash=state.chain,
            chain_hash=chained,
            is_deletion=bool(content.get("is_deleted")),
            raw=raw,
        )
    )
    state.content, state.sha, state.chain, state.changed = content, sha, chained, True
    item = state.item
    item.is_deleted = bool(content.get("is_deleted"))
    item.last_changed_at = observed_at
    item.version_count = state.seq
    if not item.is_deleted:
        item.author_handle = _clean(str(content.get("author_handle", "")), 255)
        item.author_name = _clean(str(content.get("author_name", "")), 255)
        item.language = _clean(str(content.get("language", "")), 16)


def _owe_assessment(versions: list[ItemVersion]) -> None:
    """Every new state of an item is owed a triage, recorded with the versions themselves."""
    if not versions:
        return
    # triage reads the archive, not the reverse
    from civicdesk.triage.screen import split_urgent
    from civicdesk.triage.tasks import assess_versions

    urgent, other = split_urgent((v.pk, v.content) for v in versions)
    if urgent:
        owed.owe(assess_versions, priority=owed.URGENT, version_ids=urgent)
    if other:
        owed.owe(assess_versions, version_ids=other)


def store_records(
    *,
    account: Account,
    records: Sequence[ItemRecord],
    deleted_ids: Iterable[str] = (),
    source: str,
    observed_at: datetime | None = None,
) -> IngestReport:
    """Write what is new among ``records`` (and deletions) into the archive.

    Must run inside a transaction: the caller commits the stored versions together with
    whatever marks the input as consumed (a cursor, an import checkpoint).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("store_records must run inside a transaction.")
    now = observed_at or timezone.now()
    deleted = [str(d) for d in deleted_ids]
    wanted = {r.platform_id for r in records} | {
        r.parent_platform_id for r in records if r.parent_platform_id
    }
    states = _load_states(account, wanted | set(deleted))
    report = IngestReport()
    contents = [
        canonical_content(record, platform=account.platform, account_handle=account.handle)
        for record in records
    ]
    shas = [content_sha256(content) for content in contents]
    walk = _PageWalk.plan(records, contents, shas, deleted, states)

    for record, content, sha in zip(records, contents, shas, strict=True):
        state = states.get(record.platform_id)
        if walk.already_stored(record.platform_id, sha) or (state is not None and state.sha == sha):
            report.unchanged += 1
            continue
        if state is None:
            parent = states.get(record.parent_platform_id) if record.parent_platform_id else None
            if parent is not None:
                thread = parent.item.thread_platform_id or parent.item.platform_id
            else:
                thread = record.parent_platform_id or record.platform_id
            state = _State(
                item=_new_item(account, record, thread, now),
                content={},
                sha="",
                chain=GENESIS,
                seq=0,
                is_new=True,
            )
            states[record.platform_id] = state
        raw = json.dumps(dict(record.raw), ensure_ascii=True, default=str) if record.raw else ""
        _append(state, content, observed_at=now, source=source, raw=raw)

    for platform_id in deleted:
        state = states.get(platform_id)
        if state is None or state.content.get("is_deleted"):
            continue
        if walk.already_stored(platform_id, content_sha256({**state.content, "is_deleted": True})):
            continue
        _append(
            state, {**state.content, "is_deleted": True}, observed_at=now, source=source, raw=""
        )
        report.deletions += 1

    touched = [s for s in states.values() if s.changed]
    new_items = [s.item for s in touched if s.is_new]
    Item.objects.bulk_create(new_items, batch_size=500)
    if source != ItemVersion.Source.IMPORT and new_items:
        # Imported history is past its re-check schedule; everything else joins it.
        rechecks.schedule_new(items=new_items)
        rechecks.after_replies(account=account, items=new_items, now=now)
    versions: list[ItemVersion] = []
    for state in touched:
        for version in state.pending:
            version.item = state.item
        versions += state.pending
    ItemVersion.objects.bulk_create(versions, batch_size=500)
    # New items were created with their final field values; only the pointer to their latest
    # version is missing, and one UPDATE with a subquery sets it for the whole batch (a
    # bulk_update's CASE expression grows with the batch and is slow on SQLite).
    touched_ids = [s.item.pk for s in touched]
    for start in range(0, len(touched_ids), LOOKUP_CHUNK):
        Item.objects.filter(pk__in=touched_ids[start : start + LOOKUP_CHUNK]).update(
            latest_version=Subquery(
                ItemVersion.objects.filter(item=OuterRef("pk")).order_by("-seq").values("pk")[:1]
            )
        )
    for state in touched:
        state.item.latest_version = state.pending[-1]  # the row was set by the UPDATE above
    Item.objects.bulk_update(
        [s.item for s in touched if not s.is_new],
        [
            "version_count",
            "is_deleted",
            "last_changed_at",
            "author_handle",
            "author_name",
            "language",
        ],
        batch_size=100,
    )
    report.new_versions = len(versions)
    if source != ItemVersion.Source.IMPORT:
        # Imported archives are history, kept out of the inbox; triaging a million old posts
        # would only delay the live ones.
        _owe_assessment([v for v in versions if not v.is_deletion])
    report.created_items = new_items
    report.changed_item_ids = [s.item.pk for s in touched]
    return report
