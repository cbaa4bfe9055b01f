"""Monthly partitions of the archive's versions on PostgreSQL.

On PostgreSQL ``archive_itemversion`` is partitioned by range on ``observed_at``: one partition
per calendar month in UTC (``archive_itemversion_y2026m12``), and a default partition that takes
a version observed outside every month that has one (an import, a clock far off), so that no
version is ever refused. The triggers that refuse UPDATE and DELETE are defined on the
partitioned table, and PostgreSQL gives every partition, present and future, its own copy.

The scheduler creates the partitions of the current month and the next ``MONTHS_AHEAD`` months
once an hour (``civicdesk partition-archive`` does the same on demand). Creating a month whose
versions already sit in the default partition moves them into it, in the same transaction.
On SQLite the archive is one table, and everything here does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from django.db import OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from civicdesk.core import audit

from .models import ItemVersion

logger = logging.getLogger(__name__)

VERSIONS = ItemVersion._meta.db_table
DEFAULT_PARTITION = f"{VERSIONS}_default"
# The trigger made by migration 0002 that refuses UPDATE and DELETE of a version.
IMMUTABILITY_TRIGGER = "archive_itemversion_no_change"
MONTHS_AHEAD = 3
# How often the scheduler looks for a month without its partition.
ENSURE_EVERY_SECONDS = 3600
# Creating a partition locks the version table against every reader for a moment; behind a long
# read it would hold ingest back. It gives up instead and is tried again at the next check.
LOCK_TIMEOUT = "5s"
# Two schedulers: the second finds this held and leaves the work to the first.
ADVISORY_LOCK = 0x61726368_6D6F6E74  # "archmont"


@dataclass
class PartitionReport:
    created: list[str] = field(default_factory=list)
    # Versions moved out of the default partition, per month partition created for them.
    moved: dict[str, int] = field(default_factory=dict)
    # Another scheduler was creating partitions, or the version table stayed busy.
    postponed: bool = False


def first_of_month(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    return moment.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{VERSIONS}_y{month.year:04d}m{month.month:02d}"


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """From the first instant of the month (UTC) up to, not including, the first of the next."""
    return (
        datetime(month.year, month.month, 1, tzinfo=UTC),
        datetime.combine(next_month(month), time(), tzinfo=UTC),
    )


def create_partition_sql(month: date) -> str:
    start, end = (f"{bound:%Y-%m-%d} 00:00:00+00" for bound in month_bounds(month))
    return (
        f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF {VERSIONS}"
        f" FOR VALUES FROM ('{start}') TO ('{end}')"
    )


def create_default_partition_sql() -> str:
    return f"CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF {VERSIONS} DEFAULT"


def months_from(first: date, count: int) -> list[date]:
    months = [first]
    while len(months) < count:
        months.append(next_month(months[-1]))
    return months


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [VERSIONS])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partitions() -> list[str]:
    """The names of the version table's partitions, the default one included."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [VERSIONS],
        )
        return [name for (name,) in cursor.fetchall()]


def ensure_month_partitions(
    *, months_ahead: int = MONTHS_AHEAD, now: datetime | None = None
) -> PartitionReport:
    """Make sure the current month (UTC) and the next ``months_ahead`` have their partitions.

    Idempotent, and safe to run from several schedulers at once. Costs two catalog queries when
    every partition exists already; does nothing on SQLite.
    """
    if not is_partitioned():
        return PartitionReport()
    wanted = months_from(first_of_month(now or timezone.now()), months_ahead + 1)
    return _create_missing(wanted)


def partition_default_months() -> PartitionReport:
    """Give every month that has versions in the default partition a partition of its own."""
    if not is_partitioned():
        return PartitionReport()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT date_trunc('month', observed_at AT TIME ZONE 'UTC')::date"  # noqa: S608
            f" FROM {DEFAULT_PARTITION}"
        )
        months = sorted(month for (month,) in cursor.fetchall())
    return _create_missing(months)


def _create_missing(months: Iterable[date]) -> PartitionReport:
    report = PartitionReport()
    existing = set(partitions())
    missing = [month for month in months if partition_name(month) not in existing]
    if not missing:
        return report
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK])
            (is_ours,) = cursor.fetchone() or (False,)
            if not is_ours:
                report.postponed = True
                return report
            cursor.execute("SELECT current_setting('lock_timeout')")
            (lock_timeout,) = cursor.fetchone() or ("0",)
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
            # DDL refuses to run on a table with foreign-key checks still pending in this
            # transaction; they are run now, and deferred again after.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            existing = set(partitions())  # as of now that the lock is held
            for month in missing:
                if partition_name(month) not in existing:
                    _create_month(cursor, month, report)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        logger.warning(
            "Could not create the archive's partitions for %s: the version table stayed busy;"
            " trying again at the next check.",
            ", ".join(f"{month:%Y-%m}" for month in missing),
        )
        return PartitionReport(postponed=True)
    return report


def _create_month(cursor: CursorWrapper, month: date, report: PartitionReport) -> None:
    """Create the month's partition; move its versions out of the default partition first,
    since PostgreSQL refuses a partition for rows that the default one holds."""
    name = partition_name(month)
    start, end = month_bounds(month)
    in_month = "observed_at >= %s AND observed_at < %s"
    cursor.execute(
        f"SELECT count(*), min(id), max(id) FROM {DEFAULT_PARTITION} WHERE {in_month}",  # noqa: S608
        [start, end],
    )
    waiting, first_id, last_id = cursor.fetchone() or (0, None, None)
    columns = ", ".join(f.column for f in ItemVersion._meta.concrete_fields)
    held = f"{name}_moving"
    if waiting:
        cursor.execute(f"CREATE TEMPORARY TABLE {held} (LIKE {VERSIONS}) ON COMMIT DROP")
        # The immutability trigger is lifted on the default partition for this one statement
        # and this transaction only: the versions leave it unchanged, to be inserted again
        # below with every column as it was. The ALTER also keeps any other writer out of the
        # default partition until the move commits.
        cursor.execute(f"ALTER TABLE {DEFAULT_PARTITION} DISABLE TRIGGER {IMMUTABILITY_TRIGGER}")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE {in_month}"  # noqa: S608
            f" RETURNING {columns}) INSERT INTO {held} ({columns}) SELECT {columns} FROM moved",
            [start, end],
        )
        cursor.execute(f"ALTER TABLE {DEFAULT_PARTITION} ENABLE TRIGGER {IMMUTABILITY_TRIGGER}")
    cursor.execute(create_partition_sql(month))
    report.created.append(name)
    logger.info(
        "Created the archive partition %s for versions observed in %s.", name, f"{month:%Y-%m}"
    )
    if not waiting:
        return
    cursor.execute(
        f"INSERT INTO {VERSIONS} ({columns}) SELECT {columns} FROM {held}"  # noqa: S608
    )
    cursor.execute(f"DROP TABLE {held}")
    report.moved[name] = waiting
    audit.record(
        "archive.versions_moved",
        partition=name,
        versions=waiting,
        first_version_id=first_id,
        last_version_id=last_id,
        moved_from=DEFAULT_PARTITION,
    )
    logger.info(
        "Moved %s versions observed in %s (ids %s to %s) from %s into %s.",
        waiting,
        f"{month:%Y-%m}",
        first_id,
        last_id,
        DEFAULT_PARTITION,
        name,
    )
