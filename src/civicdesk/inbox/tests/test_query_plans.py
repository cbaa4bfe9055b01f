"""The inbox reads its pages from indexes in order: no table scan, no sort, however long the
backlog. Checked on the plans the database itself gives for the queries the pages run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicdesk.archive.models import Item
from civicdesk.inbox.models import Entry

from .test_pages import crowd, link

pytestmark = pytest.mark.django_db

INBOX = reverse("inbox:index")


@pytest.fixture
def backlog(agency, transportation):
    crowd(agency.district_account, "d", 60)
    crowd(agency.high_school_account, "h", 80)
    crowd(agency.other_account, "o", 10)
    Entry.objects.filter(item__platform_id__in=["d1", "o1"]).update(queue=transportation[0])
    Entry.objects.filter(item__platform_id__in=["d2", "h2"]).update(
        triage_status=Entry.TriageStatus.FAILED
    )
    Entry.objects.filter(item__platform_id__startswith="h4").update(status=Entry.Status.DONE)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return agency


def plans_of(client: Client, url: str) -> list[str]:
    """The plan of each query the page runs on inbox entries or on a thread, as text."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        lists = '"inbox_entry"' in sql and ("ORDER BY" in sql or "COUNT(" in sql)
        if lists and "LIMIT 21" not in sql or '"thread_platform_id" =' in sql:
            plans.append(explain(sql))
    assert plans, f"no inbox query ran for {url}"
    return plans


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(row[-1] for row in cursor.fetchall())
        # A table of a few rows is cheaper to scan whole (or through a bitmap) and sort than to
        # read through an index in order, so the planner is told those cost more here. Where no
        # index gives the order it must still scan and sort, and the check below fails as it
        # would on a full backlog.
        for plan_kind in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{plan_kind} = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return "\n".join(_nodes(plan[0]["Plan"]))


def _nodes(node: dict[str, Any]) -> Iterator[str]:
    yield " ".join(
        str(node.get(key, "")) for key in ("Node Type", "Relation Name", "Index Name")
    ).strip()
    for child in node.get("Plans", []):
        yield from _nodes(child)


def assert_read_in_order(plan: str) -> None:
    if connection.vendor == "sqlite":
        for line in plan.splitlines():
            assert "TEMP B-TREE" not in line, plan
            if re.search(r"\b(inbox_entry|archive_item)\b", line):
                assert re.match(
                    r"SEARCH (inbox_entry|archive_item) USING (COVERING )?INDEX "
                    r"(inbox_\w+_by_\w+|item_thread|sqlite_autoindex_archive_item_1)",
                    line,
                ), plan
    else:
        for line in plan.splitlines():
            assert not line.startswith(("Sort", "Incremental Sort", "Seq Scan", "Bitmap")), plan
            if re.search(r"\b(inbox_entry|archive_item)\b", line):
                assert re.match(
                    r"Index (Only )?Scan (inbox_entry|archive_item) "
                    r"(inbox_\w+_by_\w+|item_thread|item_unique_per_account)",
                    line,
                ), plan


def deep(client: Client, url: str) -> str:
    found = link(client.get(url).content.decode(), "next")
    assert found is not None, "the backlog is longer than one page"
    return found


class TestInboxQueryPlans:
    @pytest.mark.parametrize(
        "query",
        [
            "",
            "sort=newest",
            "status=",
            "status=done",
            "status=in_progress",
            "urgency=1",
            "urgency=failed",
            "platform=facebook",
            "received_from=2020-01-01&received_to=2099-12-31",
            "sort=newest&received_from=2020-01-01",
        ],
    )
    def test_a_district_admin_pages_read_indexes_in_order(self, client, backlog, query):
        client.force_login(backlog.district_admin)
        for plan in plans_of(client, f"{INBOX}?{query}"):
            assert_read_in_order(plan)

    def test_a_deep_page_reads_from_where_the_last_ended(self, client, backlog):
        client.force_login(backlog.district_admin)
        older = deep(client, INBOX)
        assert "older=" in older
        for plan in plans_of(client, older):
            assert_read_in_order(plan)

    @pytest.mark.parametrize("query", ["", "unit={unit}", "account={account}", "urgency=4"])
    def test_someone_who_sees_every_unit_reads_one_index(self, client, backlog, query):
        User.objects.create_superuser("admin", "admin@example.org", "x")
        client.force_login(User.objects.get(username="admin"))
        url = f"{INBOX}?" + query.format(
            unit=backlog.high_school.pk, account=backlog.district_account.pk
        )
        for plan in plans_of(client, url):
            assert_read_in_order(plan)
        for plan in plans_of(client, deep(client, INBOX)):
            assert_read_in_order(plan)

    def test_a_school_editor_pages_read_their_school_and_its_queue(self, client, backlog):
        client.force_login(backlog.school_editor)
        for plan in plans_of(client, INBOX) + plans_of(client, deep(client, INBOX)):
            assert_read_in_order(plan)
            assert "inbox_unit_by_" in plan and "inbox_queue_by_" in plan

    def test_the_item_page_reads_the_thread_through_its_index(self, client, backlog):
        client.force_login(backlog.district_admin)
        item = Item.objects.get(platform_id="d7")
        (plan,) = plans_of(client, reverse("inbox:item", args=[item.pk]))[-1:]
        assert_read_in_order(plan)
        assert "item_thread" in plan
