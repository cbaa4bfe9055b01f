"""Inbox speed as the backlog grows: the real pages, timed at 100,000 and 1,000,000 items.

    .venv/bin/python benchmarks/inbox.py --database sqlite
    .venv/bin/python benchmarks/inbox.py --database postgres --sizes 100000

For each size a fresh database is filled in bulk (a district of eight units with a transportation
queue, a police department, 16 accounts, about 15 % of entries open), then the inbox and the item
page are requested through Django's test client as a superuser, a district admin and an editor
of one school. Prints p50 and p95 per case and size, the growth from the smallest size to the
largest, and the query plans of the inbox's main queries at the largest size.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from fresh_database import prepare

# (unit, platform, share of the traffic); the small school and the precinct are the rare cases.
ACCOUNTS = [
    ("District Office", "facebook", 18),
    ("District Office", "x", 10),
    ("Riverbend High", "facebook", 10),
    ("Riverbend High", "instagram", 6),
    ("Oak Grove Elementary", "facebook", 5),
    ("Cedar Middle", "facebook", 6),
    ("Lincoln Elementary", "facebook", 4),
    ("Hillside Elementary", "facebook", 1),
    ("Pine Ridge Academy", "facebook", 3),
    ("Transportation", "facebook", 2),
    ("Police Department", "facebook", 12),
    ("Police Department", "x", 8),
    ("North Precinct", "facebook", 5),
    ("South Precinct", "facebook", 4),
    ("Office of the Mayor", "facebook", 4),
    ("Office of the Mayor", "bluesky", 2),
]
# Priority 1 (threat) to 7 (spam), as triage spreads them.
PRIORITIES = [(1, 3), (2, 10), (3, 40), (4, 250), (5, 30), (6, 600), (7, 67)]
THREAD_LENGTH = 40
OPEN_SHARE = 0.15


def build(n_items: int) -> dict[str, Any]:
    """Fill the fresh database with ``n_items`` items, their versions and inbox entries."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from civicdesk.accounts.models import Account
    from civicdesk.archive.models import Item, ItemVersion
    from civicdesk.core.models import Membership, Organization, Unit
    from civicdesk.inbox.models import Entry

    district = Organization.objects.create(name="Riverbend USD", slug="riverbend")
    city = Organization.objects.create(name="City of Riverbend", slug="city")
    office = Unit.objects.create(organization=district, name="District Office", kind="district")
    units = {"District Office": office}
    for name in [
        "Riverbend High",
        "Oak Grove Elementary",
        "Cedar Middle",
        "Lincoln Elementary",
        "Hillside Elementary",
        "Pine Ridge Academy",
    ]:
        units[name] = Unit.objects.create(
            organization=district, name=name, kind="school", parent=office
        )
    units["Transportation"] = Unit.objects.create(
        organization=district,
        name="Transportation",
        kind="department",
        parent=office,
        takes_routed_items=True,
    )
    police = Unit.objects.create(organization=city, name="Police Department", kind="department")
    units["Police Department"] = police
    for name in ["North Precinct", "South Precinct"]:
        units[name] = Unit.objects.create(
            organization=city, name=name, kind="precinct", parent=police
        )
    units["Office of the Mayor"] = Unit.objects.create(
        organization=city, name="Office of the Mayor", kind="office"
    )
    accounts = [
        Account.objects.create(
            organization=units[unit].organization,
            unit=units[unit],
            platform=platform,
            handle=f"{unit.replace(' ', '')}_{platform}",
            display_name=f"{unit} on {platform}",
        )
        for unit, platform, _ in ACCOUNTS
    ]
    User.objects.create_superuser("admin", "admin@example.org", "x")
    district_admin = User.objects.create_user("district_admin")
    Membership.objects.create(user=district_admin, unit=office, role="admin")
    school_editor = User.objects.create_user("school_editor")
    Membership.objects.create(user=school_editor, unit=units["Riverbend High"], role="editor")

    rng = random.Random(7)
    weights = [share for _, _, share in ACCOUNTS]
    priorities, priority_weights = zip(*PRIORITIES, strict=True)
    transportation = units["Transportation"].pk
    district_units = {u.pk for u in units.values() if u.organization_id == district.pk}
    start = datetime(2025, 1, 1, tzinfo=UTC)
    adapt = connection.ops.adapt_datetimefield_value
    counts = [0] * len(accounts)
    item_rows, version_rows, entry_rows = [], [], []
    for i in range(1, n_items + 1):
        a = rng.choices(range(len(accounts)), weights)[0]
        account = accounts[a]
        n = counts[a]
        counts[a] += 1
        is_post = n % THREAD_LENGTH == 0
        platform_id = f"{a}-{n}"
        thread = f"{a}-{n - n % THREAD_LENGTH}"
        # Whole minutes, so that many entries share a time and the order needs its tie-breaker.
        created = adapt(start + timedelta(minutes=i * 300_000 // n_items))
        item_rows.append(
            (
                i,
                account.pk,
                account.platform,
                platform_id,
                "post" if is_post else "comment",
                "" if is_post else thread,
                "" if is_post else thread,
                account.handle if is_post else f"resident{i % 997}",
                f"Resident {i % 997}",
                "",
                "en",
                created,
                created,
                created,
                is_post,
                False,
                1,
                i,
            )
        )
        text = f"Comment {i}: when does the bus for route {i % 40} come tomorrow? Thanks!"
        digest = f"{i:064x}"
        version_rows.append(
            (i, i, 1, created, "poll", f'{{"text": "{text}"}}', digest, "", digest, False, "")
        )
        if is_post:
            continue
        status = "done"
        roll = rng.random()
        if roll < OPEN_SHARE * 0.8:
            status = "new"
        elif roll < OPEN_SHARE:
            status = "in_progress"
        routed = account.unit_id in district_units and rng.random() < 0.08
        entry_rows.append(
            (
                i,
                account.pk,
                account.unit_id,
                account.platform,
                created,
                status,
                "failed" if rng.random() < 0.01 else "scored",
                "",
                rng.choices(priorities, priority_weights)[0],
                "",
                "[]",
                transportation if routed else None,
                False,
                "[]",
                "",
            )
        )
    started = time.perf_counter()
    with transaction.atomic():
        insert(
            Item,
            "id account_id platform platform_id kind parent_platform_id thread_platform_id "
            "author_handle author_name url language created_at first_seen_at last_changed_at "
            "is_by_account is_deleted version_count latest_version_id",
            item_rows,
        )
        insert(
            ItemVersion,
            "id item_id seq observed_at source content content_sha256 prev_chain_hash "
            "chain_hash is_deletion raw",
            version_rows,
        )
        insert(
            Entry,
            "item_id account_id unit_id platform received_at status triage_status triage_error "
            "priority priority_label signal_badges queue_id queue_is_manual tags route_reason",
            entry_rows,
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Item, ItemVersion, Entry):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), "
                    f"(SELECT max(id) FROM {model._meta.db_table}))"
                )
    # As the database's own maintenance would, so the planner knows the tables' sizes.
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        old_autocommit = connection.get_autocommit()
        connection.set_autocommit(True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        connection.set_autocommit(old_autocommit)
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"  built {n_items:,} items, {len(entry_rows):,} entries "
        f"({sum(1 for r in entry_rows if r[5] != 'done'):,} open) in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    busiest = max(range(len(accounts)), key=lambda a: ACCOUNTS[a][2])
    return {
        "users": {"admin": "admin", "district admin": "district_admin", "school": "school_editor"},
        "units": {name: unit.pk for name, unit in units.items()},
        "accounts": [account.pk for account in accounts],
        # A comment deep in the busiest account's history, in the middle of its thread.
        "item": Item.objects.filter(account=accounts[busiest], is_by_account=False)
        .order_by("pk")
        .values_list("pk", flat=True)[counts[busiest] // 2],
        "school_item": Item.objects.filter(
            account=accounts[2], is_by_account=False, inbox_entry__isnull=False
        )
        .order_by("pk")
        .values_list("pk", flat=True)[counts[2] // 2],
        "end": start + timedelta(minutes=300_000),
    }


def insert(model: Any, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
    from django.db import connection

    table = model._meta.db_table
    names = columns.split()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in names)
            for chunk in range(0, len(rows), 50_000):
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                    rows[chunk : chunk + 50_000],
                )


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]*)"[^>]*rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


def cases(data: dict[str, Any]) -> Iterator[tuple[str, str, Callable[[Any], str]]]:
    """(case, user, a function of the client that gives the URL to time)."""
    from django.urls import reverse

    inbox = reverse("inbox:index")
    month_ago = (data["end"] - timedelta(days=30)).date()

    def plain(query: str) -> Callable[[Any], str]:
        return lambda client: f"{inbox}?{query}" if query else inbox

    def older(query: str, pages: int) -> Callable[[Any], str]:
        def walk(client: Any) -> str:
            url = plain(query)(client)
            for _ in range(pages):
                found = link(client.get(url).content.decode(), "next")
                if not found:  # a small backlog ends sooner
                    break
                url = inbox + found if found.startswith("?") else found
            return url

        return walk

    def oldest(query: str) -> Callable[[Any], str]:
        def jump(client: Any) -> str:
            url = plain(query)(client)
            found = link(client.get(url).content.decode(), "last")
            if not found:  # the whole backlog fits on the first page
                return url
            return inbox + found if found.startswith("?") else found

        return jump

    school, account = data["units"]["Riverbend High"], data["accounts"][3]
    yield "first page", "admin", plain("")
    yield "page 200 (Older ×199)", "admin", older("", 199)
    yield "oldest page", "admin", oldest("")
    yield "newest first", "admin", plain("sort=newest")
    yield "any status", "admin", plain("status=")
    yield "done", "admin", plain("status=done")
    yield "in progress", "admin", plain("status=in_progress")
    yield "urgency: threat", "admin", plain("urgency=1")
    yield "urgency: not triaged", "admin", plain("urgency=failed")
    yield "unit: one school", "admin", plain(f"unit={school}")
    yield "account", "admin", plain(f"account={account}")
    yield "platform: bluesky", "admin", plain("platform=bluesky")
    yield "last 30 days", "admin", plain(f"received_from={month_ago}")
    yield "first page", "district admin", plain("")
    yield "oldest page", "district admin", oldest("")
    yield "first page", "school", plain("")
    yield "page 20 (Older ×19)", "school", older("", 19)
    yield "oldest page", "school", oldest("")
    yield "item page", "admin", lambda client: reverse("inbox:item", args=[data["item"]])
    yield "item page", "school", lambda client: reverse("inbox:item", args=[data["school_item"]])


def measure(data: dict[str, Any], repeat: int) -> dict[tuple[str, str], list[float]]:
    """Per case: p50 and p95 of the whole request, then of the time spent in the database."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    clients = {}
    for who, username in data["users"].items():
        clients[who] = Client(SERVER_NAME="localhost")
        clients[who].force_login(User.objects.get(username=username))
    in_database = [0.0]

    def timed(execute: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            in_database[0] += time.perf_counter() - started

    results = {}
    with connection.execute_wrapper(timed):
        for case, who, url_of in cases(data):
            client = clients[who]
            url = url_of(client)
            whole, database = [], []
            for attempt in range(repeat + 2):
                in_database[0] = 0.0
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (url, response.status_code)
                if attempt >= 2:  # the first two warm the caches
                    whole.append(elapsed)
                    database.append(in_database[0] * 1000)
            results[case, who] = [*percentiles(whole), *percentiles(database)]
            print(
                f"  {who:>14}  {case:<22} p50 {results[case, who][0]:7.1f} ms   "
                f"p95 {results[case, who][1]:7.1f} ms   in the database: "
                f"p50 {results[case, who][2]:6.1f} ms  p95 {results[case, who][3]:6.1f} ms",
                flush=True,
            )
    return results


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


def explain(data: dict[str, Any]) -> None:
    """The plans of the queries the inbox and the item page run, as the database chooses them."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for case, who, url_of in cases(data):
        if case not in {"first page", "page 20 (Older ×19)", "item page", "oldest page"}:
            continue
        client = Client(SERVER_NAME="localhost")
        client.force_login(User.objects.get(username=data["users"][who]))
        url = url_of(client)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        for query in captured.captured_queries:
            sql = query["sql"]
            lists = '"inbox_entry"' in sql and ("ORDER BY" in sql or "COUNT" in sql)
            if not lists and '"thread_platform_id" =' not in sql:
                continue
            print(f"\n-- {case} as {who}: {url}\n{sql[:600]}{' …' if len(sql) > 600 else ''}")
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            with connection.cursor() as cursor:
                cursor.execute(prefix + sql)
                for row in cursor.fetchall():
                    print("   ", " ".join(str(c) for c in row[-1:]) if len(row) > 1 else row[0])


def run_one(args: argparse.Namespace) -> None:
    """One size in this process (Django's settings fix the database once per process)."""
    prepare(database=args.database, postgres_url=args.postgres_url, prefix="civicdesk-inbox-")
    from django.conf import settings

    # The manifest storage needs collectstatic; the pages are served from the source tree.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    data = build(args.size)
    results = measure(data, args.repeat)
    if args.explain:
        explain(data)
    print("RESULT " + json.dumps([[case, who, *times] for (case, who), times in results.items()]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/wt_inbox")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per case")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:
        run_one(args)
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    by_size = {}
    for size in sizes:
        print(f"{args.database}, {size:,} items:", flush=True)
        command = [sys.executable, __file__, *sys.argv[1:], "--size", str(size)]
        if size == sizes[-1]:
            command.append("--explain")
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        print("\n".join(line for line in output.splitlines() if not line.startswith("RESULT ")))
        result = json.loads(output.split("RESULT ", 1)[1])
        by_size[size] = {(case, who): times for case, who, *times in result}

    print(f"\n{args.database}: whole request p50 / p95, then in the database p50 / p95, in ms")
    header = "".join(f"{size:>34,}" for size in sizes)
    print(f"{'case':<36}{header}   growth p95 (request, database)")
    for key in by_size[sizes[0]]:
        row = "".join(
            "{:9.1f} /{:7.1f}   {:6.1f} /{:6.1f}".format(*by_size[size][key]) for size in sizes
        )
        first, last = by_size[sizes[0]][key], by_size[sizes[-1]][key]
        growth = f"×{last[1] / first[1]:.2f}, ×{last[3] / max(first[3], 0.01):.2f}"
        print(f"{key[1] + ': ' + key[0]:<36}{row}   {growth}")


if __name__ == "__main__":
    main()
