"""The floor ingest is measured against: the same item and version rows, written raw.

Reads the same replay file, builds each item's row and its first version (canonical JSON,
content hash, chain hash) inside the timed part, and writes them into the same tables, with the
same constraints, indexes and triggers, in one transaction: ``executemany`` on SQLite, ``COPY``
on PostgreSQL. Ids are taken first (the sequence on PostgreSQL, after the largest on SQLite), so
each item is written pointing at its version and nothing is read back or updated. Nothing else ingest does (inbox entries, the re-check schedule, owed triage, the
cursor, idempotence) is done here.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any


def _write(cursor: Any, vendor: str, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
    names = ", ".join(columns)
    if vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def raw_insert(*, lines: Sequence[bytes], account: Any, started_at: datetime) -> float:
    """Seconds to build, hash and write every replay line as a new item of ``account``."""
    from django.db import connection, transaction

    from civicdesk.archive.hashing import GENESIS, canonical_json, chain_hash
    from civicdesk.archive.models import Item, ItemVersion
    from civicdesk.archive.page_rows import ITEM_FIELDS, VERSION_FIELDS
    from civicdesk.core.bulk_rows import allocate_ids, column_name

    # The same columns ingest writes, in the order of the rows built below.
    item_columns = tuple(column_name(Item, name) for name in ITEM_FIELDS)
    version_columns = tuple(column_name(ItemVersion, name) for name in VERSION_FIELDS)

    vendor = connection.vendor
    adapt = connection.ops.adapt_datetimefield_value
    item_table, version_table = Item._meta.db_table, ItemVersion._meta.db_table
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        now = datetime.now(tz=started_at.tzinfo)
        seen = adapt(now)
        items: list[tuple[Any, ...]] = []
        versions: list[tuple[Any, ...]] = []
        for line in lines:
            event = json.loads(line)
            author = event.get("author") or {}
            created = started_at + timedelta(seconds=float(event["offset_s"]))
            content = {
                "platform": account.platform,
                "account": account.handle,
                "platform_id": event["id"],
                "kind": event["kind"],
                "text": event["text"],
                "author_handle": author.get("handle", ""),
                "author_name": author.get("name", ""),
                "author_platform_id": "",
                "url": "",
                "parent_platform_id": event["parent_id"],
                "language": event["lang"],
                "media": [],
                "is_hidden": False,
                "is_deleted": False,
                "created_at": created.isoformat(),
                "edited_at": None,
            }
            body = canonical_json(content)
            sha = hashlib.sha256(body).hexdigest()
            items.append(
                (
                    event["id"],
                    account.pk,
                    account.platform,
                    event["id"],
                    event["kind"],
                    event["parent_id"],
                    event["parent_id"] or event["id"],
                    content["author_handle"],
                    content["author_name"],
                    "",
                    event["lang"],
                    adapt(created),
                    seen,
                    seen,
                    content["author_handle"].lower() == account.handle.lower(),
                    False,
                    1,
                )
            )
            versions.append(
                (
                    1,
                    seen,
                    "replay",
                    body.decode(),
                    sha,
                    GENESIS,
                    chain_hash(GENESIS, sha, now),
                    False,
                    json.dumps(event, ensure_ascii=True),
                )
            )
        item_ids = allocate_ids(Item, len(items))
        version_ids = allocate_ids(ItemVersion, len(versions))
        _write(
            cursor,
            vendor,
            item_table,
            item_columns,
            [
                (item_id, *item[1:], version_id)
                for item, item_id, version_id in zip(items, item_ids, version_ids, strict=True)
            ],
        )
        _write(
            cursor,
            vendor,
            version_table,
            version_columns,
            [
                (version_id, item_id, *version)
                for version, item_id, version_id in zip(
                    versions, item_ids, version_ids, strict=True
                )
            ],
        )
    return time.perf_counter() - started
