"""Replay ingestion throughput: N items through the replay connector into the archive.

    .venv/bin/python benchmarks/ingest.py --items 100000 --database sqlite
    .venv/bin/python benchmarks/ingest.py --items 100000 --database postgres

Runs the same code a worker runs (poll_account: connector → ingest → inbox → cursor, one
transaction per page) on a fresh database, then replays the same file again to measure the
idempotent no-op path. Side by side in the same run and database, the same item and version
rows are written raw (``raw_insert.py``: executemany on SQLite, COPY on PostgreSQL) into a
second account, and the ratio of the two rates is printed. The feed arrives in ``--rounds``
parts, each written both ways in turn, so that a machine busy with other work slows both alike.
Prints items/s, peak resident memory and the archive check; ``--profile FILE`` writes a
cProfile of the first ingest.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import time
from pathlib import Path

from fresh_database import peak_rss_mb, prepare
from raw_insert import raw_insert


def write_feed(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            parent = f"p{i // 50}" if i % 50 else ""
            event = {
                "id": f"p{i // 50}" if not parent else f"c{i}",
                "kind": "post" if not parent else "comment",
                "text": f"Comment {i}: when does the bus for route {i % 40} come tomorrow? Thanks! 🚌",
                "offset_s": -n + i,
                "author": {
                    "handle": "RiverbendUSD" if not parent else f"resident{i % 997}",
                    "name": f"Resident {i % 997}",
                },
                "parent_id": parent,
                "lang": "en",
            }
            out.write(json.dumps(event, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgres://postgres@127.0.0.1:5432/civicdesk_bench"
    )
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the first ingest here")
    args = parser.parse_args()

    workdir = prepare(
        database=args.database, postgres_url=args.postgres_url, prefix="civicdesk-bench-"
    )
    from django.db import connection
    from django.utils import timezone

    from civicdesk.accounts.models import Account
    from civicdesk.accounts.polling import poll_account
    from civicdesk.archive.models import Item, ItemVersion
    from civicdesk.archive.sealing import seal_archive
    from civicdesk.archive.verify import verify_archive
    from civicdesk.core.models import Organization, Unit
    from civicdesk.inbox.models import Entry
    from civicdesk.triage import tasks  # noqa: F401 - loaded by a worker before its first poll

    source = workdir / "source.jsonl"
    write_feed(source, args.items)
    lines = source.read_bytes().splitlines(keepends=True)
    feed = workdir / "feed.jsonl"
    feed.write_bytes(b"")
    org = Organization.objects.create(name="Bench USD", slug="bench")
    unit = Unit.objects.create(organization=org, name="District Office", kind=Unit.Kind.DISTRICT)
    started_at = timezone.now()
    options = {
        "replay_path": str(feed),
        "replay_speed": 0,
        "replay_started_at": started_at.isoformat(),
        "page_size": args.page_size,
    }
    account = Account.objects.create(
        organization=org,
        unit=unit,
        platform="facebook",
        handle="RiverbendUSD",
        display_name="Bench",
        options=options,
    )
    raw_account = (
        Account.objects.create(  # same rows, another platform: (platform, handle) is unique
            organization=org,
            unit=unit,
            platform="x",
            handle="RiverbendUSD",
            display_name="Raw insert",
        )
    )
    rss_before = peak_rss_mb()

    def drain(until: int) -> float:
        started = time.perf_counter()
        while True:
            result = poll_account(account_id=account.pk)
            assert not result.error, result.error
            if result.pages == 0 or Account.objects.get(pk=account.pk).cursor.endswith(f":{until}"):
                return time.perf_counter() - started

    profiler = cProfile.Profile() if args.profile else None
    raw = first = 0.0
    raw_cpu = first_cpu = 0.0
    size = -(-args.items // args.rounds)
    for start in range(0, args.items, size):
        part = lines[start : start + size]
        with feed.open("ab") as out:
            out.writelines(part)
        cpu = time.process_time()
        raw += raw_insert(lines=part, account=raw_account, started_at=started_at)
        raw_cpu += time.process_time() - cpu
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        first += drain(until=start + len(part))
        if profiler:
            profiler.disable()
        first_cpu += time.process_time() - cpu
    if profiler:
        profiler.dump_stats(args.profile)
    Account.objects.filter(pk=account.pk).update(cursor="")
    second = drain(until=args.items)
    started = time.perf_counter()
    seal_archive()
    seal_s = time.perf_counter() - started
    started = time.perf_counter()
    report = verify_archive()
    verify_s = time.perf_counter() - started

    print(
        f"database: {args.database} ({connection.vendor}), items: {args.items:,}, page size: {args.page_size}"
    )
    raw_kind = "COPY" if connection.vendor == "postgresql" else "executemany"
    print(f"raw insert:    {raw:7.1f} s   {args.items / raw:9,.0f} items/s   ({raw_kind})")
    print(
        f"first ingest:  {first:7.1f} s   {args.items / first:9,.0f} items/s"
        f"   ({raw / first:.0%} of the raw insert)"
    )
    if connection.vendor == "sqlite":  # all the work is in this process: its CPU time says it too
        print(
            f"  CPU time:    raw {raw_cpu:.1f} s, ingest {first_cpu:.1f} s"
            f"   ({raw_cpu / first_cpu:.0%} of the raw insert)"
        )
    print(
        f"replay again:  {second:7.1f} s   {args.items / second:9,.0f} items/s   (no-op: {ItemVersion.objects.count() - 2 * args.items} new versions)"
    )
    print(f"seal-archive:  {seal_s:7.1f} s   {2 * args.items / seal_s:9,.0f} versions/s")
    print(
        f"verify-archive:{verify_s:7.1f} s   {report.versions / verify_s:9,.0f} versions/s   intact: {report.is_intact}"
    )
    ingested = Item.objects.filter(account=account)
    print(
        f"stored: {ingested.count():,} items,"
        f" {ItemVersion.objects.filter(item__account=account).count():,} versions,"
        f" {Entry.objects.count():,} inbox entries (and {args.items:,} raw items)"
    )
    print(f"peak memory (RSS): {peak_rss_mb():.0f} MB (after setup: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
