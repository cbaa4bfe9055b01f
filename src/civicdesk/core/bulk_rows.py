"""Writing many rows at once, without the ORM's cost per value.

``bulk_create`` and ``bulk_update`` compile every value of every row into their statement; at
thousands of rows a second that compiling, not the database, was most of ingest's time. Here
the statement is written once and the rows go as they are: ``COPY`` on PostgreSQL, one prepared
``executemany`` otherwise. The database still checks every constraint and fires every trigger,
and a broken constraint raises Django's ``IntegrityError``, as the ORM would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    skip_existing: bool = False,
) -> None:
    """Insert ``rows`` into ``model``'s table: each row one value per name in ``fields``.

    Values are what the column holds (str, int, bool, None, a datetime, stored as the ORM stores
    it; JSON fields take the value itself); no defaults are filled in and no ids come back: read
    generated ids back by a unique key. With ``skip_existing`` a row that a unique key already
    holds is left out instead of raising (``ON CONFLICT DO NOTHING``; no ``COPY`` then). Must run
    inside the transaction that the rows belong to.
    """
    meta = model._meta
    columns = [_concrete(model, name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    dated = [(i, f) for i, f in enumerate(columns) if isinstance(f, models.DateTimeField)]
    if dated:
        stored: dict[datetime, Any] = {}  # a page's rows share a few times: adapt each once
        adapt = connection.ops.adapt_datetimefield_value  # looked up once: a thread-local read
        rows = [_dated(row, dated, stored, adapt) for row in rows]
    as_json = [(i, f) for i, f in enumerate(columns) if isinstance(f, models.JSONField)]
    if as_json:
        rows = [_json(row, as_json) for row in rows]
    with connection.cursor() as cursor:
        if skip_existing:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING",  # noqa: S608
                rows if isinstance(rows, list) else list(rows),
            )
            return
        if connection.vendor == "postgresql":
            with connection.wrap_database_errors:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
            rows if isinstance(rows, list) else list(rows),
        )


def column_name(model: type[models.Model], name: str) -> str:
    """The database column of ``model``'s field ``name`` (``item`` → ``item_id``)."""
    return _concrete(model, name).column


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, f"{name} is not a column"
    return field


def _dated(
    row: Sequence[Any],
    dated: Sequence[tuple[int, models.Field[Any, Any]]],
    stored: dict[datetime, Any],
    adapt: Callable[[Any], Any],
) -> Sequence[Any]:
    """The row with its datetimes as the ORM would store them."""
    values = list(row)
    for i, field in dated:
        value = values[i]
        if value is None:
            continue
        adapted = stored.get(value)
        if adapted is None:
            aware = value if value.tzinfo else field.get_prep_value(value)  # the ORM's warning
            adapted = stored[value] = adapt(aware)
        values[i] = adapted
    return values


def _json(row: Sequence[Any], as_json: Sequence[tuple[int, models.Field[Any, Any]]]) -> list[Any]:
    values = list(row)
    for i, field in as_json:
        values[i] = field.get_db_prep_save(values[i], connection)
    return values


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys for rows of ``model`` about to be inserted with them.

    Knowing the ids before inserting lets rows that point at each other be written at once,
    with no UPDATE after and no read back. PostgreSQL takes them from the table's sequence. On
    SQLite they follow the largest id used: insert the rows before allocating again for the
    same table; the write lock the transaction holds (``transaction_mode`` IMMEDIATE) keeps any
    other writer from taking them, and the primary key would refuse a duplicate if it did not.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        cursor.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"  # noqa: S608
            f" COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 0))",
            [table],
        )
        (last,) = cursor.fetchone() or (0,)
        return list(range(last + 1, last + 1 + count))


def update_rows(
    model: type[models.Model], fields: Sequence[str], objects: Iterable[models.Model]
) -> None:
    """Save ``fields`` of each of ``objects`` (rows of ``model``): one statement, run per row."""
    columns = [_concrete(model, name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns] + [obj.pk]
        for obj in objects
    ]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments}"  # noqa: S608
            f" WHERE {quote(model._meta.pk.column)} = %s",
            rows,
        )
