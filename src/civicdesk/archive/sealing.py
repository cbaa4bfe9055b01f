"""Sealing the archive: a chain of seals, each over every version stored since the one before.

A version's own chain hash catches an edit inside one item's history; it cannot catch a whole
item removed, the newest version of an item removed or rewritten, or a version moved to another
item. A seal can: it is one digest over every version stored since the previous seal, and each
seal's digest includes the previous seal's, so removing or altering a seal breaks the chain too.

What seal N's digest covers::

    digest = SHA-256( "civicdesk-seal-v1\n"
                      "<N> <prev_digest> <last_version_id> <version_count>\n"
                      <hex SHA-256 of the version lines> )

with one version line per covered version, by primary key (UTF-8, space-separated, ending in
a newline)::

    <version pk> <item pk> <account pk> <SHA-256 of the item's platform id> <seq> <source>
    <chain_hash> <SHA-256 of the raw platform payload>

``prev_digest`` is seal N-1's digest (64 zeros for the first seal). The chain hash covers the
version's content and observation time and links it to the item's previous version; the item,
account and platform id tie it to the item it belongs to, and the raw payload's hash covers
what the chain does not hash.

Every version committed before a seal is covered by it or an earlier one, exactly once: the
sealing transaction first waits for every in-flight insert to commit (PostgreSQL allocates
primary keys before commit, so a lower key may commit after a higher one; SQLite writers are
serialized already), then covers every version above the previous seal's last primary key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .hashing import GENESIS
from .models import ArchiveSeal, ItemVersion

SEAL_FORMAT = "civicdesk-seal-v1"
# A first seal over an archive of millions of versions would hold ingestion back while it hashes;
# a backlog is sealed in several seals instead.
MAX_VERSIONS_PER_SEAL = 50_000
BATCH = 2000


@dataclass(frozen=True)
class SealedVersion:
    pk: int
    item_id: int
    account_id: int
    platform_id: str
    seq: int
    source: str
    chain_hash: str
    raw: str

    def line(self) -> bytes:
        platform_id_sha = hashlib.sha256(self.platform_id.encode()).hexdigest()
        raw_sha = hashlib.sha256(self.raw.encode()).hexdigest()
        return (
            f"{self.pk} {self.item_id} {self.account_id} {platform_id_sha} {self.seq} "
            f"{self.source} {self.chain_hash} {raw_sha}\n"
        ).encode()


class SealDigest:
    """The running digest of one seal, fed one version at a time."""

    def __init__(self, *, number: int, prev_digest: str) -> None:
        self.number = number
        self.prev_digest = prev_digest
        self.body = hashlib.sha256()
        self.count = 0
        self.first_pk: int | None = None
        self.last_pk: int | None = None

    def add(self, version: SealedVersion) -> None:
        self.body.update(version.line())
        self.count += 1
        self.first_pk = version.pk if self.first_pk is None else self.first_pk
        self.last_pk = version.pk

    def hexdigest(self, *, last_version_id: int, version_count: int) -> str:
        h = hashlib.sha256(f"{SEAL_FORMAT}\n".encode())
        h.update(f"{self.number} {self.prev_digest} {last_version_id} {version_count}\n".encode())
        h.update(self.body.hexdigest().encode())
        return h.hexdigest()


def versions_by_pk(*, after: int, batch_size: int = BATCH) -> Iterator[SealedVersion]:
    """Every version above primary key ``after``, in key order, with what a seal covers."""
    last = after
    while True:
        rows = list(
            ItemVersion.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list(
                "pk",
                "item_id",
                "item__account_id",
                "item__platform_id",
                "seq",
                "source",
                "chain_hash",
                "raw",
            )[:batch_size]
        )
        if not rows:
            return
        for row in rows:
            yield SealedVersion(*row)
        last = rows[-1][0]


def _wait_for_inserts_in_flight() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One sealer at a time; the second waits and then finds the range already sealed.
            cursor.execute("LOCK TABLE archive_archiveseal IN EXCLUSIVE MODE")
            # SHARE waits for every transaction that has inserted versions to end, and holds new
            # inserts back until this seal commits, so no lower key can commit after the seal.
            cursor.execute("LOCK TABLE archive_itemversion IN SHARE MODE")


def _seal_once() -> ArchiveSeal | None:
    with transaction.atomic():
        _wait_for_inserts_in_flight()
        previous = ArchiveSeal.objects.order_by("-number").first()
        number = previous.number + 1 if previous else 1
        digest = SealDigest(number=number, prev_digest=previous.digest if previous else GENESIS)
        for version in versions_by_pk(after=previous.last_version_id if previous else 0):
            digest.add(version)
            if digest.count >= MAX_VERSIONS_PER_SEAL:
                break
        if digest.count == 0 or digest.last_pk is None or digest.first_pk is None:
            return None
        return ArchiveSeal.objects.create(
            number=number,
            first_version_id=digest.first_pk,
            last_version_id=digest.last_pk,
            version_count=digest.count,
            prev_digest=digest.prev_digest,
            digest=digest.hexdigest(last_version_id=digest.last_pk, version_count=digest.count),
            sealed_at=timezone.now(),
        )


def seal_archive() -> list[ArchiveSeal]:
    """Seal every version not sealed yet, then sign and anchor the new seals; returns them.

    Safe to run from several schedulers at once: the unique seal number turns a second seal of
    the same range into a no-op.
    """
    from .anchoring import anchor_pending_seals

    sealed: list[ArchiveSeal] = []
    while True:
        try:
            seal = _seal_once()
        except IntegrityError:
            break  # another scheduler sealed this range first
        if seal is None:
            break
        sealed.append(seal)
    anchor_pending_seals()
    return sealed
