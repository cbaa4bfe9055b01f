"""Checking the archive (``civicdesk verify-archive``): hashes, chains, listing columns and seals.

Everything is read in key order, a batch at a time, so memory stays flat however large the
archive is. Seals and anchors are checked by :mod:`civicdesk.archive.verify_seals`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils import timezone

from .hashing import GENESIS, chain_hash
from .ingest import _clean as clean_column
from .models import Item, ItemVersion


@dataclass
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class AnchorFileReport:
    path: Path
    anchors: int = 0
    key_id: str = ""


@dataclass
class VerifyReport:
    items: int = 0
    versions: int = 0
    seals: int = 0
    sealed_versions: int = 0
    unsealed_versions: int = 0
    unsealed_since: datetime | None = None
    anchor_files: list[AnchorFileReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        return not self.problems

    def add(self, where: str, what: str) -> None:
        self.problems.append(Problem(where, what))


ITEM_FIELDS = (
    "pk",
    "platform",
    "platform_id",
    "kind",
    "parent_platform_id",
    "thread_platform_id",
    "author_handle",
    "author_name",
    "url",
    "language",
    "created_at",
    "first_seen_at",
    "last_changed_at",
    "is_by_account",
    "is_deleted",
    "version_count",
    "latest_version_id",
    "account__platform",
)
VERSION_FIELDS = (
    "item_id",
    "seq",
    "pk",
    "content",
    "content_sha256",
    "prev_chain_hash",
    "chain_hash",
    "observed_at",
    "is_deletion",
)


def _items(batch_size: int) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        rows = list(
            Item.objects.filter(pk__gt=last).order_by("pk").values(*ITEM_FIELDS)[:batch_size]
        )
        if not rows:
            return
        yield from rows
        last = rows[-1]["pk"]


def _versions_in_item_order(batch_size: int) -> Iterator[tuple[Any, ...]]:
    last = (0, 0)
    while True:
        rows = list(
            ItemVersion.objects.filter(item_id__gte=last[0])
            .exclude(item_id=last[0], seq__lte=last[1])
            .order_by("item_id", "seq")
            .values_list(*VERSION_FIELDS)[:batch_size]
        )
        if not rows:
            return
        yield from rows
        last = (rows[-1][0], rows[-1][1])


@dataclass
class _History:
    """What ingestion would have written into the item's columns, rebuilt from its versions."""

    first: dict[str, Any] | None = None
    first_observed_at: datetime | None = None
    latest: dict[str, Any] = field(default_factory=dict)
    latest_pk: int | None = None
    latest_observed_at: datetime | None = None
    seq: int = 0
    chain: str = GENESIS
    people: tuple[str, str, str] = ("", "", "")

    def add(self, content: dict[str, Any], *, pk: int, seq: int, observed_at: datetime) -> None:
        if self.first is None:
            self.first, self.first_observed_at = content, observed_at
            self.people = _people(content)
        if not content.get("is_deleted"):
            # As ingestion does: a deletion keeps the author and language of the last live state.
            self.people = _people(content)
        self.latest, self.latest_pk, self.latest_observed_at = content, pk, observed_at
        self.seq = seq


def _people(content: dict[str, Any]) -> tuple[str, str, str]:
    return (
        clean_column(str(content.get("author_handle", "")), 255),
        clean_column(str(content.get("author_name", "")), 255),
        clean_column(str(content.get("language", "")), 16),
    )


def _check_version(report: VerifyReport, history: _History, row: tuple[Any, ...]) -> None:
    item_id, seq, pk, content, sha, prev, chained, observed_at, is_deletion = row
    report.versions += 1
    where = f"item {item_id} version {seq}"
    if seq != history.seq + 1:
        report.add(where, f"expected version {history.seq + 1}: a version is missing")
    if hashlib.sha256(content.encode()).hexdigest() != sha:
        report.add(where, "content does not match its SHA-256: it was altered")
    if prev != history.chain:
        report.add(where, "does not link to the previous version's hash")
    if chain_hash(prev, sha, observed_at) != chained:
        report.add(where, "chain hash does not match: content, time or link was altered")
    try:
        data = json.loads(content)
    except ValueError:
        report.add(where, "content is not readable JSON: it was altered")
        data = {}
    if not isinstance(data, dict):
        data = {}
    if bool(data.get("is_deleted")) != is_deletion:
        report.add(where, "its deleted mark does not match its content")
    history.chain = chained
    history.add(data, pk=pk, seq=seq, observed_at=observed_at)


def _created_at(content: dict[str, Any]) -> datetime | str:
    try:
        value = datetime.fromisoformat(str(content.get("created_at")))
    except ValueError:
        return str(content.get("created_at"))
    # A naive time was stored as Django stores one: in the default time zone.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"“{value}”"
    return str(value)


def _same(stored: Any, derived: Any) -> bool:
    if isinstance(stored, datetime) and isinstance(derived, datetime):
        # Times in a daylight-saving gap compare unequal across zones (PEP 495); UTC has none.
        try:
            return stored.astimezone(UTC) == derived.astimezone(UTC)
        except ValueError:
            return False
    try:
        return bool(stored == derived)
    except TypeError:  # a naive and an aware time
        return False


def _check_columns(report: VerifyReport, item: dict[str, Any], history: _History) -> None:
    """Every column the pages show must be what ingestion derives from the hashed versions."""
    where = f"item {item['pk']} ({item['platform_id']})"
    first = history.first or {}
    latest = history.latest
    author_handle, author_name, language = history.people
    account_handle = str(first.get("account", "")).lstrip("@").lower()
    expected: list[tuple[str, Any, Any]] = [
        ("latest version", item["latest_version_id"], history.latest_pk),
        ("version count", item["version_count"], history.seq),
        ("deleted mark", item["is_deleted"], bool(latest.get("is_deleted"))),
        ("time of last change", item["last_changed_at"], history.latest_observed_at),
        ("time first seen", item["first_seen_at"], history.first_observed_at),
        ("author handle", item["author_handle"], author_handle),
        ("author name", item["author_name"], author_name),
        ("language", item["language"], language),
        ("platform", item["platform"], first.get("platform")),
        ("platform", item["account__platform"], first.get("platform")),
        ("platform id", item["platform_id"], clean_column(str(first.get("platform_id")), 255)),
        ("kind", item["kind"], first.get("kind")),
        (
            "parent",
            item["parent_platform_id"],
            clean_column(str(first.get("parent_platform_id", "")), 255),
        ),
        ("link", item["url"], clean_column(str(first.get("url", "")), 2000)),
        ("time posted", item["created_at"], _created_at(first)),
        (
            "mark 'posted by the account'",
            item["is_by_account"],
            bool(account_handle)
            and str(first.get("author_handle", "")).lstrip("@").lower() == account_handle,
        ),
    ]
    if not item["parent_platform_id"]:
        expected.append(("conversation", item["thread_platform_id"], item["platform_id"]))
    for label, stored, derived in expected:
        if not _same(stored, derived):
            report.add(
                where,
                f"the pages show {label} {_shown(stored)}, but its archived versions say "
                f"{_shown(derived)}",
            )


def _check_items_and_versions(report: VerifyReport, batch_size: int) -> None:
    versions = _versions_in_item_order(batch_size)
    pending = next(versions, None)
    orphans: set[int] = set()

    def orphan(item_id: int) -> None:
        if item_id not in orphans and len(orphans) < 1000:
            orphans.add(item_id)
            report.add(f"item {item_id}", "its versions remain but the item itself was removed")

    for item in _items(batch_size):
        report.items += 1
        while pending is not None and pending[0] < item["pk"]:
            orphan(pending[0])
            report.versions += 1
            pending = next(versions, None)
        history = _History()
        while pending is not None and pending[0] == item["pk"]:
            _check_version(report, history, pending)
            pending = next(versions, None)
        if history.first is None:
            report.add(f"item {item['pk']} ({item['platform_id']})", "has no versions")
            continue
        _check_columns(report, item, history)
    while pending is not None:
        orphan(pending[0])
        report.versions += 1
        pending = next(versions, None)


def verify_archive(
    *,
    anchors: Sequence[Path] = (),
    public_key: Ed25519PublicKey | None = None,
    batch_size: int = 2000,
) -> VerifyReport:
    """Check every version, every listing column, every seal and every anchor.

    Recomputes each version's content hash and chain link; rebuilds each item's columns from
    its versions; recomputes the chain of seals; checks the local anchor file (``ANCHOR_FILE``)
    and each file in ``anchors`` (copies kept elsewhere): every line's signature, with
    ``public_key`` or else the local anchor key, and that the database's seals match it.
    """
    from .verify_seals import check_anchor_files, check_seals

    report = VerifyReport()
    _check_items_and_versions(report, batch_size)
    seal_digests = check_seals(report, batch_size=batch_size)
    check_anchor_files(report, seal_digests=seal_digests, extra=anchors, public_key=public_key)
    return report
