"""End to end: a replay file to triaged, routed inbox entries, with real worker processes.

    .venv/bin/python benchmarks/pipeline.py --items 10000 --database sqlite --workers 1
    .venv/bin/python benchmarks/pipeline.py --items 10000 --database postgres --workers 4
    .venv/bin/python benchmarks/pipeline.py --items 10000 --all   # SQLite 1; PostgreSQL 1, 2, 4

On a fresh database, ``--workers`` ``civicdesk worker`` processes are started, as in production,
and warmed up on a few items (a running worker has its models loaded). Then the clock starts: a
replay file of N items (the demo's recorded public traffic, posts and their comments) is polled
into the archive in this process, page by page, while the workers triage and route what each
page owes. The clock stops when every item has its assessment and every inbox entry is triaged.
Prints items/s end to end and each worker's peak resident memory, then checks the result.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fresh_database import prepare

ROOT = Path(__file__).resolve().parent.parent
DEMO_DATA = ROOT / "src" / "civicdesk" / "demo" / "data"


def recorded_texts() -> list[dict[str, Any]]:
    """The demo's recorded items (text, author, language), edits and deletions left out."""
    events = []
    for path in sorted(DEMO_DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event.get("text") and event.get("op", "create") == "create":
                events.append(event)
    return events


def write_feed(path: Path, n: int, *, prefix: str = "") -> None:
    """``n`` items: every 50th a post by the account, the rest comments on it by the public."""
    recorded = recorded_texts()
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            source = recorded[i % len(recorded)]
            is_post = i % 50 == 0
            author = source.get("author") or {}
            event = {
                "id": f"{prefix}p{i // 50}" if is_post else f"{prefix}c{i}",
                "kind": "post" if is_post else "comment",
                "text": source["text"],
                "offset_s": -n + i,
                "author": {
                    "handle": "RiverbendUSD" if is_post else f"{author.get('handle', 'r')}{i % 97}",
                    "name": author.get("name", ""),
                },
                "parent_id": "" if is_post else f"{prefix}p{i // 50}",
                "lang": source.get("lang", ""),
            }
            out.write(json.dumps(event, ensure_ascii=False) + "\n")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = prepare(database=args.database, postgres_url=args.postgres_url, prefix="pipeline-")
    from django.db import connection
    from django.utils import timezone

    from civicdesk.accounts.models import Account
    from civicdesk.accounts.polling import poll_account
    from civicdesk.archive.models import Item
    from civicdesk.core.models import Organization, OwedTask, Unit
    from civicdesk.inbox.models import Entry
    from civicdesk.routing.models import RoutingRule
    from civicdesk.triage.models import Assessment

    org = Organization.objects.create(name="Bench USD", slug="bench")
    district = Unit.objects.create(
        organization=org, name="District Office", kind=Unit.Kind.DISTRICT
    )
    buses = Unit.objects.create(organization=org, name="Transportation", kind=Unit.Kind.DEPARTMENT)
    RoutingRule.objects.create(
        organization=org, name="Buses", keywords=["bus"], route_to=buses, tag="buses"
    )
    RoutingRule.objects.create(
        organization=org, name="Safety", signals=["threat"], escalate=True, tag="safety"
    )

    def replay_account(name: str, feed: Path, handle: str) -> Account:
        return Account.objects.create(
            organization=org,
            unit=district,
            platform="facebook",
            handle=handle,
            display_name=name,
            options={
                "replay_path": str(feed),
                "replay_speed": 0,
                "replay_started_at": timezone.now().isoformat(),
                "page_size": args.page_size,
            },
        )

    def ingest(account: Account, until: int) -> None:
        while not Account.objects.get(pk=account.pk).cursor.endswith(f":{until}"):
            assert not (result := poll_account(account_id=account.pk)).error, result.error

    def triaged() -> bool:
        return (
            not Entry.objects.filter(triage_status=Entry.TriageStatus.PENDING).exists()
            and not OwedTask.objects.exists()
        )

    warm_feed, feed = workdir / "warm.jsonl", workdir / "feed.jsonl"
    write_feed(warm_feed, 60, prefix="w")
    write_feed(feed, args.items)
    log = (workdir / "workers.log").open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    workers = [
        subprocess.Popen(  # noqa: S603 - our own console script
            [str(ROOT / ".venv" / "bin" / "civicdesk"), "worker", "--interval", "0.2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(args.workers)
    ]
    try:
        ingest(replay_account("Warm-up", warm_feed, "WarmUp"), 60)
        while not triaged():  # every worker loads its models on its first task
            time.sleep(0.2)
        warm_rss = [peak_rss_mb(w.pid) for w in workers]
        account = replay_account("Bench", feed, "RiverbendUSD")
        started = time.perf_counter()
        ingest(account, args.items)
        ingested = time.perf_counter() - started
        while not triaged():
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        rss = [peak_rss_mb(w.pid) for w in workers]
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    items = Item.objects.filter(account=account)
    public = items.filter(is_by_account=False)
    entries = Entry.objects.filter(item__account=account)
    assessed = Assessment.objects.filter(item__account=account).values("item").distinct().count()
    checks = {
        "items": items.count(),
        "assessed": assessed,
        "entries": entries.count(),
        "public items": public.count(),
        "triaged entries": entries.filter(triage_status=Entry.TriageStatus.SCORED).count(),
        "routed to Transportation": entries.filter(queue=buses).count(),
        "escalated": entries.filter(priority=1).count(),
    }
    assert checks["items"] == checks["assessed"] == args.items, checks
    assert checks["entries"] == checks["public items"] == checks["triaged entries"], checks
    return {
        "database": connection.vendor,
        "workers": args.workers,
        "items": args.items,
        "ingest_s": ingested,
        "total_s": elapsed,
        "rate": args.items / elapsed,
        "rss": rss,
        "warm_rss": warm_rss,
        "checks": checks,
    }


def report(result: dict[str, Any]) -> None:
    rss = ", ".join(f"{mb:.0f}" for mb in result["rss"])
    print(
        f"{result['database']:>10}  {result['workers']} worker(s)  {result['items']:,} items:"
        f" ingest {result['ingest_s']:.1f} s, triaged and routed after {result['total_s']:.1f} s"
        f" = {result['rate']:,.0f} items/s end to end; peak RSS per worker (MB): {rss}"
    )
    print(f"{'':>12}checked: {result['checks']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgres://postgres@127.0.0.1:5432/civicdesk_bench"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--all", action="store_true", help="SQLite 1; PostgreSQL 1, 2, 4 workers")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.all:
        result = run(args)
        if args.json:
            print(json.dumps(result))
        else:
            report(result)
        return
    print(f"{os.cpu_count()} CPU cores on this machine.")
    for database, workers in (("sqlite", 1), ("postgres", 1), ("postgres", 2), ("postgres", 4)):
        out = subprocess.run(  # noqa: S603 - this script, one configuration per process
            [sys.executable, __file__, "--json", "--items", str(args.items)]
            + ["--database", database, "--workers", str(workers)]
            + ["--postgres-url", args.postgres_url, "--page-size", str(args.page_size)],
            capture_output=True,
            text=True,
            check=True,
        )
        report(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
