"""What a tamperer with full access to the server can do: SQL on every table, and the files.

A :class:`Scene` lifts the database's guard triggers as an attacker would and offers the moves
a careful forger makes: recomputing content and chain hashes, putting the item's listing
columns back in line with its versions, recomputing the chain of seals, and re-signing the
anchor file. It only ever runs inside a transaction that is rolled back afterwards.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.db.models import Max, Min

from ..anchoring import anchor_line
from ..hashing import GENESIS, canonical_json, chain_hash, content_sha256
from ..models import ArchiveSeal, Item, ItemVersion
from ..sealing import SealDigest, versions_by_pk
from ..verify import _History

VERSION_COLUMNS = (
    "pk",
    "item_id",
    "seq",
    "content",
    "content_sha256",
    "prev_chain_hash",
    "chain_hash",
    "observed_at",
    "raw",
    "source",
)


class Scene:
    def __init__(self, *, anchor_file: Path, key_file: Path) -> None:
        self.anchor_file = anchor_file
        self.key_file = key_file
        self.last_sealed_pk = (
            ArchiveSeal.objects.aggregate(last=Max("last_version_id"))["last"] or 0
        )

    def lift_guards(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER IF EXISTS archive_itemversion_no_update")
                cursor.execute("DROP TRIGGER IF EXISTS archive_itemversion_no_delete")
            elif connection.vendor == "postgresql":
                # ALTER TABLE refuses while deferred foreign-key checks are pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "ALTER TABLE archive_itemversion DISABLE TRIGGER archive_itemversion_no_change"
                )
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def sql(self, statement: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)

    def stamp(self, value: datetime) -> Any:
        return connection.ops.adapt_datetimefield_value(value)

    # Finding targets -------------------------------------------------------------------------

    def spans(self) -> Any:
        return Item.objects.annotate(low=Min("versions__pk"), high=Max("versions__pk"))

    def sealed_item(self, *, min_versions: int = 1, skip: int = 0, **filters: Any) -> int | None:
        """An item every version of which is sealed."""
        ids = (
            self.spans()
            .filter(high__lte=self.last_sealed_pk, version_count__gte=min_versions, **filters)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        found = list(ids[skip : skip + 1])
        return found[0] if found else None

    def spanning_item(self) -> int | None:
        """An item first seen before the last seal and changed after it."""
        return (
            self.spans()
            .filter(low__lte=self.last_sealed_pk, high__gt=self.last_sealed_pk)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )

    def open_item(self) -> int | None:
        """An item first seen after the last seal."""
        return (
            self.spans()
            .filter(low__gt=self.last_sealed_pk)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )

    def versions(self, item_id: int) -> list[dict[str, Any]]:
        return list(
            ItemVersion.objects.filter(item_id=item_id).order_by("seq").values(*VERSION_COLUMNS)
        )

    # Changing versions -----------------------------------------------------------------------

    def rewrite_text(self, pk: int, text: str, *, rehash: bool) -> None:
        version = ItemVersion.objects.values("content").get(pk=pk)
        content = {**json.loads(version["content"]), "text": text}
        body = canonical_json(content).decode()
        if rehash:
            self.sql(
                "UPDATE archive_itemversion SET content = %s, content_sha256 = %s WHERE id = %s",
                [body, content_sha256(content), pk],
            )
        else:
            self.sql("UPDATE archive_itemversion SET content = %s WHERE id = %s", [body, pk])

    def rechain(self, item_id: int) -> None:
        """Recompute every chain hash of the item, as a forger who knows the formula would."""
        previous = GENESIS
        for version in self.versions(item_id):
            chained = chain_hash(previous, version["content_sha256"], version["observed_at"])
            self.sql(
                "UPDATE archive_itemversion SET prev_chain_hash = %s, chain_hash = %s WHERE id = %s",
                [previous, chained, version["pk"]],
            )
            previous = chained

    def renumber(self, item_id: int) -> None:
        for seq, version in enumerate(self.versions(item_id), start=1):
            self.sql("UPDATE archive_itemversion SET seq = %s WHERE id = %s", [seq, version["pk"]])

    def sync_item(self, item_id: int) -> None:
        """Put the item's listing columns back in line with its (tampered) versions."""
        history = _History()
        for version in self.versions(item_id):
            history.add(
                json.loads(version["content"]),
                pk=version["pk"],
                seq=version["seq"],
                observed_at=version["observed_at"],
            )
        handle, name, language = history.people
        self.sql(
            "UPDATE archive_item SET latest_version_id = %s, version_count = %s, is_deleted = %s, "
            "last_changed_at = %s, author_handle = %s, author_name = %s, language = %s "
            "WHERE id = %s",
            [
                history.latest_pk,
                history.seq,
                bool(history.latest.get("is_deleted")),
                self.stamp(history.latest_observed_at) if history.latest_observed_at else None,
                handle,
                name,
                language,
                item_id,
            ],
        )

    def remove_item(self, item_id: int) -> None:
        self.sql("UPDATE archive_item SET latest_version_id = NULL WHERE id = %s", [item_id])
        self.sql("DELETE FROM archive_itemversion WHERE item_id = %s", [item_id])
        self.sql("DELETE FROM archive_item WHERE id = %s", [item_id])

    def append_forged_version(self, item_id: int, text: str) -> int:
        """A new version with a correct content hash and chain link, as if it had been observed."""
        latest = self.versions(item_id)[-1]
        content = {**json.loads(latest["content"]), "text": text}
        sha = content_sha256(content)
        observed_at = latest["observed_at"]
        chained = chain_hash(latest["chain_hash"], sha, observed_at)
        forged = ItemVersion(
            item_id=item_id,
            seq=latest["seq"] + 1,
            observed_at=observed_at,
            source=latest["source"],
            content=canonical_json(content).decode(),
            content_sha256=sha,
            prev_chain_hash=latest["chain_hash"],
            chain_hash=chained,
            raw="",
        )
        forged.save()  # an insert: the guard triggers allow it, as they allow ingestion
        return forged.pk

    # Seals and anchors -----------------------------------------------------------------------

    def reseal(self) -> None:
        """Recompute every seal's digest from the versions as they now are."""
        previous_digest, lower = GENESIS, 0
        versions = versions_by_pk(after=0)
        pending = next(versions, None)
        for seal in ArchiveSeal.objects.order_by("number"):
            digest = SealDigest(number=seal.number, prev_digest=previous_digest)
            while pending is not None and pending.pk <= seal.last_version_id:
                if pending.pk > lower:
                    digest.add(pending)
                pending = next(versions, None)
            value = digest.hexdigest(
                last_version_id=seal.last_version_id, version_count=digest.count
            )
            self.sql(
                "UPDATE archive_archiveseal SET prev_digest = %s, digest = %s, version_count = %s "
                "WHERE id = %s",
                [previous_digest, value, digest.count, seal.pk],
            )
            previous_digest, lower = value, seal.last_version_id

    def resign(self, key: Ed25519PrivateKey) -> None:
        """Rewrite the anchor file from the database's seals, signed with ``key``."""
        self.anchor_file.write_text(
            "".join(anchor_line(seal, key=key) for seal in ArchiveSeal.objects.order_by("number"))
        )

    def anchor_lines(self) -> list[str]:
        return self.anchor_file.read_text().splitlines(keepends=True)

    def write_anchor_lines(self, lines: list[str]) -> None:
        self.anchor_file.write_text("".join(lines))
