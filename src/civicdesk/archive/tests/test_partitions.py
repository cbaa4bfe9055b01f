"""On PostgreSQL the archive's versions are partitioned by the month they were observed in.

The months used here lie far ahead (2091 and after), so that they never meet the partitions the
migration made for the months around today.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from civicdesk.archive import partitions
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.archive.sealing import seal_archive
from civicdesk.archive.verify import verify_archive
from civicdesk.core.models import AuditEvent
from civicdesk.core.scheduler import run_due_work
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: on SQLite the archive's versions are one table.",
)


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def store(account, records, *, observed_at):
    with transaction.atomic():
        return store_records(
            account=account, records=records, source="poll", observed_at=observed_at
        )


def partition_of(version_pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM archive_itemversion WHERE id = %s", [version_pk]
        )
        (name,) = cursor.fetchone()
    return name


def partitions_of(versions) -> list[str]:
    return [partition_of(v.pk) for v in versions]


def trigger_states() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgenabled FROM pg_trigger WHERE tgname = %s",
            [partitions.IMMUTABILITY_TRIGGER],
        )
        return dict(cursor.fetchall())


@pytest.fixture
def three_months():
    """A comment observed in January, edited in February and March 2091."""
    partitions.ensure_month_partitions(now=at(2091, 1))
    account = AccountFactory.create()
    for month, text in ((1, "Is school open?"), (2, "Is school open today?"), (3, "Open?")):
        store(account, [record("c1", text)], observed_at=at(2091, month))
    return Item.objects.get().versions.order_by("seq")


@pytest.mark.postgres
@on_postgresql
class TestMonthlyPartitions:
    def test_versions_observed_in_three_months_land_in_three_partitions(self, three_months):
        """Stored through ingest, which writes versions with COPY on PostgreSQL."""
        assert partitions_of(three_months) == [
            "archive_itemversion_y2091m01",
            "archive_itemversion_y2091m02",
            "archive_itemversion_y2091m03",
        ]
        assert verify_archive().problems == []

    def test_a_version_in_a_partition_is_still_never_changed_or_deleted(self, three_months):
        february = partition_of(three_months[1].pk)
        for table in ("archive_itemversion", february):
            with (
                pytest.raises(DatabaseError, match="archived item versions are immutable"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(f"UPDATE {table} SET content = '{{}}'")
            with (
                pytest.raises(DatabaseError, match="archived item versions are immutable"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(f"DELETE FROM {table}")
        assert ItemVersion.objects.count() == 3

    def test_every_partition_made_after_the_migration_carries_the_trigger(self, three_months):
        states = trigger_states()
        assert set(partitions.partitions()) <= set(states)
        assert set(states.values()) == {"O"}, "enabled everywhere"

    def test_a_query_bounded_by_the_time_observed_reads_one_partition(self, three_months):
        plan = json.loads(
            ItemVersion.objects.filter(
                observed_at__gte=datetime(2091, 2, 1, tzinfo=UTC),
                observed_at__lt=datetime(2091, 3, 1, tzinfo=UTC),
            )
            .order_by("pk")
            .explain(format="json")
        )
        assert _relations(plan[0]["Plan"]) == {"archive_itemversion_y2091m02"}

    def test_sealing_and_verify_archive_cover_every_partition(self, three_months):
        [seal] = seal_archive()
        assert seal.version_count == 3
        report = verify_archive()
        assert (report.problems, report.versions, report.sealed_versions) == ([], 3, 3)

    def test_two_writers_cannot_both_store_the_next_version_across_months(self, three_months):
        """The unique key on (item, seq) includes the time observed; the item's latest version
        is what keeps a second version 4 out."""
        from civicdesk.archive import page_rows

        account = three_months[0].item.account
        read_before = page_rows.latest_versions(account_id=account.pk, platform_ids=["c1"])
        store(account, [record("c1", "Closed.")], observed_at=at(2091, 3, 20))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(page_rows, "latest_versions", lambda **kwargs: read_before)
            with pytest.raises(DatabaseError, match="stored a newer version"):
                store(account, [record("c1", "Open again.")], observed_at=at(2091, 4, 2))
        assert list(ItemVersion.objects.values_list("seq", flat=True)) == [1, 2, 3, 4]
        assert verify_archive().problems == []


@pytest.mark.postgres
@on_postgresql
class TestEnsureMonthPartitions:
    def test_it_creates_this_month_and_the_next_three_once(self):
        first = partitions.ensure_month_partitions(now=at(2091, 11))
        assert first.created == [
            "archive_itemversion_y2091m11",
            "archive_itemversion_y2091m12",
            "archive_itemversion_y2092m01",
            "archive_itemversion_y2092m02",
        ]
        assert partitions.ensure_month_partitions(now=at(2091, 11)).created == []
        assert partitions.ensure_month_partitions(now=at(2091, 12, 31)).created == [
            "archive_itemversion_y2092m03"
        ]

    def test_a_version_observed_where_no_month_has_a_partition_goes_to_the_default_one(self):
        report = store(AccountFactory.create(), [record("c1")], observed_at=at(2093, 5))
        version = ItemVersion.objects.get(item_id=report.created_item_ids[0])
        assert partition_of(version.pk) == partitions.DEFAULT_PARTITION

    def test_versions_waiting_in_the_default_partition_move_into_their_new_month(self):
        account = AccountFactory.create()
        store(account, [record("c1"), record("c2")], observed_at=at(2093, 5, 31))
        store(account, [record("c3")], observed_at=at(2093, 9))
        [seal] = seal_archive()
        before = list(ItemVersion.objects.order_by("pk").values())

        report = partitions.ensure_month_partitions(now=at(2093, 4))

        assert report.moved == {"archive_itemversion_y2093m05": 2}
        versions = ItemVersion.objects.order_by("pk")
        assert partitions_of(versions) == [
            "archive_itemversion_y2093m05",
            "archive_itemversion_y2093m05",
            partitions.DEFAULT_PARTITION,
        ]
        assert list(versions.values()) == before, "moved unchanged, ids included"
        event = AuditEvent.objects.get(action="archive.versions_moved")
        assert event.data == {
            "partition": "archive_itemversion_y2093m05",
            "versions": 2,
            "first_version_id": before[0]["id"],
            "last_version_id": before[1]["id"],
            "moved_from": partitions.DEFAULT_PARTITION,
        }
        assert set(trigger_states().values()) == {"O"}, "the default partition is guarded again"
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {partitions.DEFAULT_PARTITION}")
        verified = verify_archive()
        assert (verified.problems, verified.sealed_versions) == ([], 3)
        assert seal.last_version_id == before[-1]["id"]

    def test_the_operator_can_give_each_month_in_the_default_partition_its_own(self):
        account = AccountFactory.create()
        store(account, [record("c1")], observed_at=at(2094, 2))
        store(account, [record("c2")], observed_at=at(2094, 7))
        call_command("partition_archive", "--from-default", "--months-ahead", "0")
        assert partitions_of(ItemVersion.objects.order_by("pk")) == [
            "archive_itemversion_y2094m02",
            "archive_itemversion_y2094m07",
        ]
        assert verify_archive().problems == []

    def test_the_command_says_when_there_is_nothing_to_do(self, capsys):
        call_command("partition_archive")
        call_command("partition_archive")
        assert capsys.readouterr().out.splitlines()[-1] == (
            "Nothing to do: every month asked for has its partition already."
        )

    def test_the_scheduler_creates_the_months_ahead_when_asked(self):
        this_month = partitions.first_of_month(datetime.now(UTC))
        ahead = {
            partitions.partition_name(month)
            for month in partitions.months_from(this_month, partitions.MONTHS_AHEAD + 1)
        }
        missing = len(ahead - set(partitions.partitions()))
        assert run_due_work(seal=False, partition=False)["partitions"] == 0
        assert run_due_work(seal=False)["partitions"] == missing
        assert ahead <= set(partitions.partitions())
        assert run_due_work(seal=False)["partitions"] == 0


@pytest.fixture
def partitions_dropped_after(flushable_archive):
    """Partitions created and committed by a test are dropped after it."""
    before = set(partitions.partitions())
    yield
    with connection.cursor() as cursor:
        for name in set(partitions.partitions()) - before:
            cursor.execute(f"DROP TABLE {name}")


@pytest.mark.postgres
@on_postgresql
def test_two_schedulers_creating_the_same_months_at_once_create_each_once(
    partitions_dropped_after,
):
    reports: list[partitions.PartitionReport] = []
    start = threading.Barrier(2)

    def ensure() -> None:
        start.wait(5)
        reports.append(partitions.ensure_month_partitions(now=at(2095, 1)))
        connections.close_all()

    threads = [threading.Thread(target=ensure) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    created = sorted(name for report in reports for name in report.created)
    assert created == [f"archive_itemversion_y2095m{m:02d}" for m in (1, 2, 3, 4)]
    assert partitions.ensure_month_partitions(now=at(2095, 1)).created == []


@pytest.mark.postgres
@on_postgresql
def test_the_migration_reverses_to_one_table_and_back_keeping_every_version(
    partitions_dropped_after,
):
    account = AccountFactory.create()
    for month in (1, 6):
        store(account, [record(f"c{month}")], observed_at=at(2096, month))
    seal_archive()
    before = list(ItemVersion.objects.order_by("pk").values())
    try:
        call_command("migrate", "archive", "0007_inbox_reads_in_order", verbosity=0)
        assert _kind_of("archive_itemversion") == "r"
        assert list(ItemVersion.objects.order_by("pk").values()) == before
        assert _foreign_keys_into_versions() == {
            "archive_item",
            "triage_assessment",
            "triage_correction",
        }
        assert verify_archive().problems == []
    finally:
        call_command("migrate", "archive", verbosity=0)
    assert _kind_of("archive_itemversion") == "p"
    assert _foreign_keys_into_versions() == set()
    assert list(ItemVersion.objects.order_by("pk").values()) == before
    assert partitions_of(ItemVersion.objects.order_by("pk")) == [
        "archive_itemversion_y2096m01",
        "archive_itemversion_y2096m06",
    ]
    store(account, [record("c1", "edited")], observed_at=at(2096, 6, 20))
    assert ItemVersion.objects.order_by("pk").last().pk > before[-1]["id"], "ids go on"
    assert verify_archive().problems == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only.")
def test_on_sqlite_the_versions_stay_one_table(capsys):
    assert partitions.ensure_month_partitions() == partitions.PartitionReport()
    assert run_due_work(seal=False)["partitions"] == 0
    call_command("partition_archive")
    assert capsys.readouterr().out == (
        "Nothing to do: on SQLite the archive's versions are one table.\n"
    )


def _relations(node: dict) -> set[str]:
    found = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in node.get("Plans", []):
        found |= _relations(child)
    return found


def _kind_of(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        (kind,) = cursor.fetchone()
    return kind


def _foreign_keys_into_versions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint"
            " WHERE confrelid = to_regclass('archive_itemversion') AND contype = 'f'"
        )
        return {table for (table,) in cursor.fetchall()}
