"""Ingestion: the only way anything is written into the archive.

Idempotent by construction: a record whose canonical content hashes the same as its item's
latest version writes nothing; a different hash writes the next version; a platform id reported
gone writes a deletion version. A concurrent duplicate becomes an IntegrityError that rolls the
whole batch back, to be retried, rather than a second copy: a new item meets the unique key on
(account, platform_id), and a new version of an existing item finds the item already moved on to
the other writer's version (``page_rows.update_listings``).

A page is written with a few set-based statements, whatever its size
(:mod:`civicdesk.archive.page_rows`): its items are looked up in one query, and its new items,
versions and re-checks are inserted in bulk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import ItemRecord
from civicdesk.core import owed
from civicdesk.core.bulk_rows import allocate_ids

from . import page_rows, rechecks
from .hashing import GENESIS, body_sha256, canonical_content, canonical_json, chain_hash
from .models import Item, ItemVersion
from .page_history import PageWalk


@dataclass
class IngestReport:
    created_item_ids: list[int] = field(default_factory=list)
    changed_item_ids: list[int] = field(default_factory=list)
    new_versions: int = 0
    unchanged: int = 0
    deletions: int = 0

    @property
    def created_items(self) -> list[Item]:
        """The new items, read from the database, in the order they were first seen."""
        return list(
            Item.objects.filter(pk__in=self.created_item_ids)
            .select_related("account")
            .order_by("pk")
        )

    def merge(self, other: IngestReport) -> None:
        self.created_item_ids += other.created_item_ids
        self.changed_item_ids += other.changed_item_ids
        self.new_versions += other.new_versions
        self.unchanged += other.unchanged
        self.deletions += other.deletions


@dataclass(slots=True)
class _Version:
    seq: int
    body: str
    sha: str
    prev_chain: str
    chain: str
    is_deletion: bool
    raw: str
    text: str
    pk: int = 0


@dataclass(slots=True)
class _NewItem:
    """The columns of a new item that come from the record it was first seen in."""

    record: ItemRecord
    is_by_account: bool


@dataclass(slots=True)
class _State:
    """An item's latest state while a page is stored: as loaded, then as the page leaves it."""

    platform_id: str
    thread_platform_id: str
    sha: str
    chain: str
    seq: int
    item_id: int | None = None
    # The item's latest version when the page was read: its listing moves on only from there.
    latest_read: int | None = None
    stored_json: str = ""
    parsed: dict[str, Any] | None = None
    first: _NewItem | None = None
    is_deleted: bool = False
    # author handle, author name, language: set when a version changes them.
    listing: tuple[str, str, str] | None = None
    pending: list[_Version] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.first is not None

    @property
    def content(self) -> dict[str, Any]:
        if self.parsed is None:
            self.parsed = json.loads(self.stored_json) if self.stored_json else {}
        return self.parsed


# The platform's payload as it came, kept beside the canonical content.
_RAW = json.JSONEncoder(ensure_ascii=True, default=str)


def _clean(value: str, limit: int) -> str:
    # Short listing columns only; the version keeps the exact text. PostgreSQL rejects NUL.
    return value.replace("\x00", "\ufffd")[:limit]


def _load_states(account: Account, platform_ids: set[str]) -> dict[str, _State]:
    states: dict[str, _State] = {}
    for pk, platform_id, thread, latest, body, sha, chained, seq in page_rows.latest_versions(
        account_id=account.pk, platform_ids=sorted(platform_ids)
    ):
        assert latest and body is not None and sha and chained and seq, f"item {pk} has no version"
        states[platform_id] = _State(
            platform_id=platform_id,
            thread_platform_id=thread,
            sha=sha,
            chain=chained,
            seq=seq,
            item_id=pk,
            latest_read=latest,
            stored_json=body,
        )
    return states


def _append(
    state: _State,
    content: dict[str, Any],
    body: bytes,
    sha: str,
    *,
    observed_at: datetime,
    raw: str,
) -> None:
    chained = chain_hash(state.chain, sha, observed_at)
    state.seq += 1
    is_deleted = bool(content.get("is_deleted"))
    state.pending.append(
        _Version(
            seq=state.seq,
            body=body.decode(),
            sha=sha,
            prev_chain=state.chain,
            chain=chained,
            is_deletion=is_deleted,
            raw=raw,
            text=str(content.get("text") or ""),
        )
    )
    state.parsed, state.sha, state.chain, state.is_deleted = content, sha, chained, is_deleted
    if not is_deleted:
        state.listing = (
            _clean(str(content.get("author_handle", "")), 255),
            _clean(str(content.get("author_name", "")), 255),
            _clean(str(content.get("language", "")), 16),
        )


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
    # The canonical JSON is made once per record: hashed here, stored as the version's content.
    bodies = [canonical_json(content) for content in contents]
    shas = [body_sha256(body) for body in bodies]
    walk = PageWalk.plan([r.platform_id for r in records], contents, shas, deleted, states)

    for record, content, body, sha in zip(records, contents, bodies, shas, strict=True):
        state = states.get(record.platform_id)
        if walk.already_stored(record.platform_id, sha) or (state is not None and state.sha == sha):
            report.unchanged += 1
            continue
        if state is None:
            parent = states.get(record.parent_platform_id) if record.parent_platform_id else None
            if parent is not None:
                thread = parent.thread_platform_id or parent.platform_id
            else:
                thread = record.parent_platform_id or record.platform_id
            state = _State(
                platform_id=record.platform_id,
                thread_platform_id=_clean(thread, 255),
                sha="",
                chain=GENESIS,
                seq=0,
                first=_NewItem(
                    record=record,
                    is_by_account=account.is_author_of(
                        author_platform_id=record.author_platform_id,
                        author_handle=record.author_handle,
                    ),
                ),
                listing=(
                    _clean(record.author_handle, 255),
                    _clean(record.author_name, 255),
                    _clean(record.language, 16),
                ),
            )
            states[record.platform_id] = state
        raw = _RAW.encode(dict(record.raw)) if record.raw else ""
        _append(state, content, body, sha, observed_at=now, raw=raw)

    for platform_id in deleted:
        state = states.get(platform_id)
        if state is None or state.content.get("is_deleted"):
            continue
        gone = {**state.content, "is_deleted": True}
        gone_body = canonical_json(gone)
        gone_sha = body_sha256(gone_body)
        if walk.already_stored(platform_id, gone_sha):
            continue
        _append(state, gone, gone_body, gone_sha, observed_at=now, raw="")
        report.deletions += 1

    touched = [s for s in states.values() if s.pending]
    new = [s for s in touched if s.is_new]
    # Ids are known before anything is written: items are inserted pointing at their latest
    # version, and nothing is read back.
    for state, pk in zip(new, allocate_ids(Item, len(new)), strict=True):
        state.item_id = pk
    versions = [(s, v) for s in touched for v in s.pending]
    for (_, version), pk in zip(versions, allocate_ids(ItemVersion, len(versions)), strict=True):
        version.pk = pk
    page_rows.insert_items(_item_rows(account, new, now))
    page_rows.insert_versions(
        (
            v.pk,
            s.item_id,
            v.seq,
            now,
            source,
            v.body,
            v.sha,
            v.prev_chain,
            v.chain,
            v.is_deletion,
            v.raw,
        )
        for s, v in versions
    )
    page_rows.update_listings(
        [
            (
                s.pending[-1].pk,
                s.seq,
                s.is_deleted,
                now,
                *(s.listing or (None, None, None)),
                s.item_id,
                s.latest_read,
            )
            for s in touched
            if not s.is_new and s.item_id is not None and s.latest_read is not None
        ]
    )
    if source != ItemVersion.Source.IMPORT and new:
        # Imported history is past its re-check schedule; everything else joins it.
        rechecks.schedule_new(
            account_id=account.pk,
            item_ids=[s.item_id for s in new if s.item_id and not s.is_deleted],
            first_seen_at=now,
        )
        rechecks.after_replies(
            account=account,
            items=[
                (s.platform_id, s.first.record.parent_platform_id, s.thread_platform_id)
                for s in new
                if s.first
            ],
            now=now,
        )
    report.new_versions = len(versions)
    if source != ItemVersion.Source.IMPORT:
        # Imported archives are history, kept out of the inbox; triaging a million old posts
        # would only delay the live ones.
        _owe_assessment([v for _, v in versions if not v.is_deletion])
    report.created_item_ids = [s.item_id for s in new if s.item_id is not None]
    report.changed_item_ids = [s.item_id for s in touched if s.item_id is not None]
    return report


def _item_rows(account: Account, new: list[_State], now: datetime) -> list[tuple[Any, ...]]:
    """The rows of the page's new items, with their final columns."""
    rows = []
    for state in new:
        assert state.first is not None and state.listing is not None
        record = state.first.record
        author_handle, author_name, language = state.listing
        rows.append(
            (
                state.item_id,
                account.pk,
                account.platform,
                _clean(record.platform_id, 255),
                str(record.kind),
                _clean(record.parent_platform_id, 255),
                state.thread_platform_id,
                author_handle,
                author_name,
                _clean(record.url, 2000),
                language,
                record.created_at,
                now,
                now,
                state.first.is_by_account,
                state.is_deleted,
                state.seq,
                state.pending[-1].pk,
            )
        )
    return rows


def _owe_assessment(versions: list[_Version]) -> None:
    """Every new state of an item is owed a triage, recorded with the versions themselves."""
    if not versions:
        return
    # triage reads the archive, not the reverse
    from civicdesk.triage.screen import split_urgent_texts
    from civicdesk.triage.tasks import assess_versions

    urgent, other = split_urgent_texts((v.pk, v.text) for v in versions)
    if urgent:
        owed.owe(assess_versions, priority=owed.URGENT, version_ids=urgent)
    if other:
        owed.owe(assess_versions, version_ids=other)
