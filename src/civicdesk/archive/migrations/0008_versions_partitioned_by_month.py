"""Partition the archive's versions by month on PostgreSQL; SQLite keeps its one table.

``archive_itemversion`` becomes a table partitioned by range on ``observed_at``: one partition
per calendar month in UTC that holds versions, the current and the next month, and a default
partition (:mod:`civicdesk.archive.partitions` names them and creates the months ahead). Every
version is copied over unchanged, ids included, and the id sequence goes on from where it was,
so the seals, which cover versions by id, still match.

What changes in the database, and why every guarantee still holds:

- PostgreSQL accepts a unique key on a partitioned table only if it includes the partition key.
  The primary key becomes (id, observed_at): ids come from one sequence, so they stay unique.
  ``chain_hash`` becomes unique with ``observed_at``: a chain hash covers its version's
  observation time, so two versions with the same chain hash were observed at the same time, and
  the key refuses what it refused before. ``version_unique_seq`` becomes (item_id, seq,
  observed_at): two versions numbered alike for one item but observed at different times are no
  longer refused by the key, so ingest refuses them itself: an item moves on to a new latest
  version only from the one the writer read (``page_rows.update_listings``).
- A foreign key can only reference a unique key, and ``id`` alone no longer is one. The foreign
  keys into the version table (``Item.latest_version``, the triage ``Assessment.version`` and
  ``Correction.version``) are dropped from the database and kept in Django's model state. What
  they guarded against, a version removed while something points at it, cannot happen: every
  partition refuses DELETE. And the code only points at versions it has just written, or read.
  A later migration that adds a foreign key to ``ItemVersion`` must declare it with
  ``db_constraint=False`` on PostgreSQL.
- The trigger that refuses UPDATE and DELETE is defined on the partitioned table; PostgreSQL
  gives every partition, present and future, its own copy of it.

Reversing copies the versions back into one plain table with the original keys and restores
the foreign keys. Either way the version table is locked for the whole copy: on a large archive
this takes the archive offline for as long as a copy of it takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.utils import CursorWrapper

from civicdesk.archive.partitions import (
    VERSIONS,
    create_default_partition_sql,
    create_partition_sql,
    first_of_month,
    months_from,
)

PARTITION_KEY = "observed_at"


@dataclass
class _Shape:
    """What defines the version table beyond its columns, read from the catalog."""

    columns: list[str]
    unique_keys: list[tuple[str, str, list[str]]]  # name, 'p' or 'u', columns
    indexes: list[str]
    foreign_keys: list[tuple[str, str]]  # name, definition
    triggers: list[str]
    sequence: str


def _read_shape(cursor: CursorWrapper) -> _Shape:
    table = [VERSIONS]
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum",
        table,
    )
    columns = [name for (name,) in cursor.fetchall()]
    cursor.execute(
        "SELECT c.conname, c.contype, array_agg(a.attname ORDER BY k.i) FROM pg_constraint c"
        " CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, i)"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
        " WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u')"
        " GROUP BY c.conname, c.contype ORDER BY c.contype, c.conname",
        table,
    )
    unique_keys = [(name, kind, list(names)) for name, kind, names in cursor.fetchall()]
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
        " WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid) ORDER BY 1",
        table,
    )
    # A partitioned table's own index reads "ON ONLY"; on a plain table, or to cascade to every
    # partition, it is created without.
    indexes = [sql.replace(" ON ONLY ", " ON ") for (sql,) in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        table,
    )
    foreign_keys = list(cursor.fetchall())
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
        " WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
        table,
    )
    triggers = [sql for (sql,) in cursor.fetchall()]
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", table)
    (sequence,) = cursor.fetchone() or ("",)
    return _Shape(columns, unique_keys, indexes, foreign_keys, triggers, sequence)


def _months_held(cursor: CursorWrapper, table: str) -> list[date]:
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', {PARTITION_KEY} AT TIME ZONE 'UTC')::date"  # noqa: S608
        f" FROM {table}"
    )
    held = {month for (month,) in cursor.fetchall()}
    return sorted(held | set(months_from(first_of_month(datetime.now(UTC)), 2)))


def _rebuild(schema_editor: BaseDatabaseSchemaEditor, *, partitioned: bool) -> None:
    """Copy the version table into a new one, partitioned by month or plain, keeping its rows,
    ids, id sequence, keys, indexes, foreign keys to other tables and triggers."""
    run = schema_editor.execute
    old = f"{VERSIONS}_{'unpartitioned' if partitioned else 'partitioned'}"
    with schema_editor.connection.cursor() as cursor:
        run(f"LOCK TABLE {VERSIONS} IN ACCESS EXCLUSIVE MODE")
        shape = _read_shape(cursor)
        run(f"ALTER TABLE {VERSIONS} RENAME TO {old}")
        run(f"ALTER SEQUENCE {shape.sequence} RENAME TO {old}_id_seq")
        run(
            f"CREATE TABLE {VERSIONS} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY"
            " INCLUDING CONSTRAINTS)"
            + (f" PARTITION BY RANGE ({PARTITION_KEY})" if partitioned else "")
        )
        if partitioned:
            run(create_default_partition_sql())
            for month in _months_held(cursor, old):
                run(create_partition_sql(month))
        columns = ", ".join(shape.columns)
        run(f"INSERT INTO {VERSIONS} ({columns}) SELECT {columns} FROM {old}")  # noqa: S608
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), last_value, is_called)"  # noqa: S608
            f" FROM {old}_id_seq",
            [VERSIONS],
        )
        if partitioned:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint"
                " WHERE confrelid = %s::regclass AND contype = 'f' ORDER BY 1, 2",
                [old],
            )
            for table, name in cursor.fetchall():
                run(f"ALTER TABLE {table} DROP CONSTRAINT {schema_editor.quote_name(name)}")
        run(f"DROP TABLE {old}")
        for name, kind, key_columns in shape.unique_keys:
            if partitioned:
                key_columns = [*key_columns, PARTITION_KEY]
            else:
                key_columns = [c for c in key_columns if c != PARTITION_KEY]
            what = "PRIMARY KEY" if kind == "p" else "UNIQUE"
            run(
                f"ALTER TABLE {VERSIONS} ADD CONSTRAINT {schema_editor.quote_name(name)}"
                f" {what} ({', '.join(key_columns)})"
            )
        for index in shape.indexes:
            run(index)
        for name, definition in shape.foreign_keys:
            run(
                f"ALTER TABLE {VERSIONS} ADD CONSTRAINT {schema_editor.quote_name(name)} {definition}"
            )
        for trigger in shape.triggers:
            run(trigger)
        run(f"ANALYZE {VERSIONS}")


def _foreign_keys_into_versions(
    apps: Apps,
) -> list[tuple[type[models.Model], models.Field[Any, Any]]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.local_fields
        if isinstance(field, models.ForeignKey)
        and getattr(field, "db_constraint", True)
        and field.related_model._meta.db_table == VERSIONS  # type: ignore[union-attr]
    ]


def partition_versions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, partitioned=True)


def unpartition_versions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    _rebuild(schema_editor, partitioned=False)
    for model, field in _foreign_keys_into_versions(apps):
        # Made and named as Django makes them when a field gains its constraint.
        schema_editor.execute(
            schema_editor._create_fk_sql(  # type: ignore[attr-defined]
                model, field, "_fk_%(to_table)s_%(to_column)s"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0007_inbox_reads_in_order"),
        # Its foreign keys into the version table are the ones this drops.
        ("triage", "0002_routing_rules_move_to_routing"),
    ]

    operations = [migrations.RunPython(partition_versions, unpartition_versions)]
