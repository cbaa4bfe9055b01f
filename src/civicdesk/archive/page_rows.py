"""The statements that store one page of ingest: a few set-based ones, whatever its size.

Written by hand rather than through the ORM: an ``IN`` list or a row compiled value by value
costs more than the database spends on it. Each function is one statement per chunk of ids
(SQLite allows 32,766 bound parameters per statement), run in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from civicdesk.core.bulk_insert import insert_rows

from .models import Item, ItemVersion

CHUNK = 900

ITEM_FIELDS = (
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
)
VERSION_FIELDS = (
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
) -> list[tuple[int, str, str, str | None, str | None, str | None, int | None]]:
    """(item id, platform id, thread, content, content hash, chain hash, seq) of the latest
    version of each of the account's items among ``platform_ids``."""
    rows = []
    with connection.cursor() as cursor:
        for chunk in _chunks(platform_ids):
            cursor.execute(
                "SELECT i.id, i.platform_id, i.thread_platform_id, v.content, v.content_sha256,"  # noqa: S608
                f" v.chain_hash, v.seq FROM {_ITEMS} i"
                f" LEFT JOIN {_VERSIONS} v ON v.id = i.latest_version_id"
                f" WHERE i.account_id = %s AND i.platform_id IN ({_marks(chunk)})",
                [account_id, *chunk],
            )
            rows += cursor.fetchall()
    return rows


def insert_items(*, account_id: int, rows: Sequence[Sequence[Any]]) -> dict[str, int]:
    """Insert new items (values in ``ITEM_FIELDS`` order); returns their ids by platform id."""
    insert_rows(Item, ITEM_FIELDS, rows)
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks([row[2] for row in rows]):
            cursor.execute(
                f"SELECT platform_id, id FROM {_ITEMS}"  # noqa: S608
                f" WHERE account_id = %s AND platform_id IN ({_marks(chunk)})",
                [account_id, *chunk],
            )
            ids.update(cursor.fetchall())
    return ids


def insert_versions(rows: Iterable[Sequence[Any]]) -> None:
    """Insert new versions (values in ``VERSION_FIELDS`` order)."""
    insert_rows(ItemVersion, VERSION_FIELDS, rows)


def version_ids(chain_hashes: Sequence[str]) -> dict[str, int]:
    """The ids of versions by their chain hash (unique, and indexed)."""
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(chain_hashes):
            cursor.execute(
                f"SELECT chain_hash, id FROM {_VERSIONS} WHERE chain_hash IN ({_marks(chunk)})",  # noqa: S608
                chunk,
            )
            ids.update(cursor.fetchall())
    return ids


def point_to_latest(item_ids: Sequence[int]) -> None:
    """Point each item at its newest version."""
    with connection.cursor() as cursor:
        for chunk in _chunks(item_ids):
            cursor.execute(
                f"UPDATE {_ITEMS} SET latest_version_id = (SELECT v.id FROM {_VERSIONS} v"  # noqa: S608
                f" WHERE v.item_id = {_ITEMS}.id ORDER BY v.seq DESC LIMIT 1)"
                f" WHERE id IN ({_marks(chunk)})",
                chunk,
            )


def update_listings(
    rows: Sequence[tuple[int, bool, datetime, str | None, str | None, str | None, int]],
) -> None:
    """Bring existing items' listing columns to their new latest state.

    Each row: version count, deleted, last changed, author handle, author name, language, item
    id. A deletion keeps the author and language the item had: None leaves them as they are.
    """
    if not rows:
        return
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {_ITEMS} SET version_count = %s, is_deleted = %s, last_changed_at = %s,"  # noqa: S608
            " author_handle = COALESCE(%s, author_handle),"
            " author_name = COALESCE(%s, author_name), language = COALESCE(%s, language)"
            " WHERE id = %s",
            [(count, gone, adapt(at), *listing, pk) for count, gone, at, *listing, pk in rows],
        )
