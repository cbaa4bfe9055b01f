"""The statements that store one page of ingest: a few set-based ones, whatever its size.

Written by hand rather than through the ORM: an ``IN`` list or a row compiled value by value
costs more than the database spends on it. Each function is one statement per chunk of ids
(SQLite allows 32,766 bound parameters per statement), run in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection

from civicdesk.core.bulk_rows import insert_rows

from .models import Item, ItemVersion

CHUNK = 900

ITEM_FIELDS = (
    "id",
    "account",
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
    "latest_version",
)
VERSION_FIELDS = (
    "id",
    "item",
    "seq",
    "observed_at",
    "source",
    "content",
    "content_sha256",
    "prev_chain_hash",
    "chain_hash",
    "is_deletion",
    "raw",
)

_ITEMS = Item._meta.db_table
_VERSIONS = ItemVersion._meta.db_table


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])


def latest_versions(
    *, account_id: int, platform_ids: Sequence[str]
) -> list[tuple[int, str, str, int | None, str | None, str | None, str | None, int | None]]:
    """(item id, platform id, thread, version id, content, content hash, chain hash, seq) of the
    latest version of each of the account's items among ``platform_ids``."""
    rows = []
    with connection.cursor() as cursor:
        for chunk in _chunks(platform_ids):
            cursor.execute(
                "SELECT i.id, i.platform_id, i.thread_platform_id, i.latest_version_id, v.content,"  # noqa: S608
                f" v.content_sha256, v.chain_hash, v.seq FROM {_ITEMS} i"
                f" LEFT JOIN {_VERSIONS} v ON v.id = i.latest_version_id"
                f" WHERE i.account_id = %s AND i.platform_id IN ({_marks(chunk)})",
                [account_id, *chunk],
            )
            rows += cursor.fetchall()
    return rows


def insert_items(rows: Iterable[Sequence[Any]]) -> None:
    """Insert new items (values in ``ITEM_FIELDS`` order, ids allocated)."""
    insert_rows(Item, ITEM_FIELDS, rows)


def insert_versions(rows: Iterable[Sequence[Any]]) -> None:
    """Insert new versions (values in ``VERSION_FIELDS`` order, ids allocated)."""
    insert_rows(ItemVersion, VERSION_FIELDS, rows)


def update_listings(
    rows: Sequence[tuple[int, int, bool, datetime, str | None, str | None, str | None, int, int]],
) -> None:
    """Point existing items at their new latest version and bring their listing columns to it.

    Each row: latest version id, version count, deleted, last changed, author handle, author
    name, language, item id, and the latest version id the writer read. A deletion keeps the
    author and language the item had: None leaves them as they are.

    Raises ``IntegrityError`` if another writer moved one of these items on since it was read.
    Both writers then numbered their new version alike; on PostgreSQL the unique key on (item,
    seq) includes the time observed (versions are partitioned by it), so only this refuses the
    second when the two were observed at different times.
    """
    if not rows:
        return
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {_ITEMS} SET latest_version_id = %s, version_count = %s, is_deleted = %s,"  # noqa: S608
            " last_changed_at = %s, author_handle = COALESCE(%s, author_handle),"
            " author_name = COALESCE(%s, author_name), language = COALESCE(%s, language)"
            " WHERE id = %s AND latest_version_id = %s",
            [
                (latest, count, gone, adapt(at), *listing, pk, read)
                for latest, count, gone, at, *listing, pk, read in rows
            ],
        )
        if cursor.rowcount != len(rows):
            raise IntegrityError(
                "Another writer stored a newer version of one of these items first."
            )
