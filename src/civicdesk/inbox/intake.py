"""Which archived items land in the inbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from civicdesk.accounts.models import Account
from civicdesk.archive.models import Item
from civicdesk.core.bulk_rows import column_name

from .models import Entry

# SQLite allows 32,766 bound parameters per statement; stay well below it.
CHUNK = 900
# The entry's columns copied from its item (and its account's unit); the rest start at their
# defaults.
_FROM_ITEM = {
    "item": "i.id",
    "account": "i.account_id",
    "unit": "a.unit_id",
    "platform": "i.platform",
    "received_at": "i.created_at",
}


def receive(*, items: Iterable[Item]) -> int:
    """Put newly archived items from the public into the inbox; returns how many were added.

    The agency's own posts are archived but need no answer. Safe to call twice: an item already
    in the inbox is skipped by the one-to-one constraint.
    """
    return receive_by_id(item_ids=[item.pk for item in items])


def receive_by_id(*, item_ids: Sequence[int]) -> int:
    """:func:`receive` for items known by id: one INSERT … SELECT per chunk, no row read back."""
    if not item_ids:
        return 0
    quote = connection.ops.quote_name
    # Columns the database computes (urgency) are never written.
    defaults = [
        f
        for f in Entry._meta.concrete_fields
        if not f.primary_key and not f.generated and f.name not in _FROM_ITEM
    ]
    columns = [quote(column_name(Entry, name)) for name in _FROM_ITEM] + [
        quote(f.column) for f in defaults
    ]
    values = list(_FROM_ITEM.values()) + ["%s"] * len(defaults)
    default_values = [f.get_db_prep_save(f.get_default(), connection) for f in defaults]
    added = 0
    with connection.cursor() as cursor:
        for start in range(0, len(item_ids), CHUNK):
            chunk = list(item_ids[start : start + CHUNK])
            cursor.execute(
                f"INSERT INTO {quote(Entry._meta.db_table)} ({', '.join(columns)})"  # noqa: S608
                f" SELECT {', '.join(values)} FROM {quote(Item._meta.db_table)} i"
                f" JOIN {quote(Account._meta.db_table)} a ON a.id = i.account_id"
                f" WHERE i.id IN ({', '.join(['%s'] * len(chunk))}) AND NOT i.is_by_account"
                " ORDER BY i.id ON CONFLICT (item_id) DO NOTHING",
                [*default_values, *chunk],
            )
            added += max(cursor.rowcount, 0)
    return added
