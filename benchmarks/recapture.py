"""Recapture coverage: how many quiet edits and deletions the re-check schedule captures in time.

    .venv/bin/python benchmarks/recapture.py                  # 1,000 items, under a minute
    .venv/bin/python benchmarks/recapture.py --items 10000 --database postgres

A replay account posts N items over six hours, polled every ten minutes (posts with comments under them); 5 % of them
are edited and 3 % deleted at random moments after posting (log-uniform between one minute and
20 days). The edits and deletions are "unlisted": polling never sees them, only a lookup does,
as on the real platforms. The clock is simulated (time-machine) over 31 days, jumping to the
next moment something is due; at each moment the real scheduler (``run_due_work``) runs and the
polls and recaptures it enqueues are run as a worker would run them (triage is left out).

Reports the share of changes captured within the window of the check that followed them, API
calls per item per day, the lag between a change and its capture (median, p95), and what the
schedule counted as late or overdue.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fresh_database import peak_rss_mb, prepare

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAYS = 31
POST_SECONDS = 6 * 3600
POLL_SECONDS = 600
TICK = timedelta(seconds=60)  # the scheduler's loop runs at least this often


def write_feed(path: Path, n: int, *, seed: int) -> dict[str, tuple[str, float]]:
    """The replay file; returns the quiet changes: item id → (edit|delete, seconds after T0)."""
    rng = random.Random(seed)
    events: list[dict[str, object]] = []
    changes: dict[str, tuple[str, float]] = {}
    post = ""
    for i in range(n):
        at = POST_SECONDS * i / n
        is_post = i % 20 == 0
        item_id = f"p{i}" if is_post else f"c{i}"
        post = item_id if is_post else post
        base = {
            "id": item_id,
            "kind": "post" if is_post else "comment",
            "text": f"Item {i}: when does the bus for route {i % 40} come tomorrow?",
            "author": {"handle": "RiverbendUSD" if is_post else f"resident{i % 997}"},
            "parent_id": "" if is_post else post,
            "lang": "en",
        }
        events.append({**base, "offset_s": at})
        draw = rng.random()
        if draw < 0.08:
            delay = math.exp(rng.uniform(math.log(60), math.log(20 * 86400)))
            if draw < 0.05:
                edit = {**base, "text": f"{base['text']} (edited)", "op": "edit"}
                events.append({**edit, "offset_s": at + delay, "created_offset_s": at})
                changes[item_id] = ("edit", at + delay)
            else:
                events.append({"op": "delete", "id": item_id, "offset_s": at + delay})
                changes[item_id] = ("delete", at + delay)
            events[-1]["unlisted"] = True
    events.sort(key=lambda e: float(e["offset_s"]))  # type: ignore[arg-type]
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event) + "\n")
    return changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgres://postgres@127.0.0.1:5432/civicdesk_bench"
    )
    parser.add_argument(
        "--platform", default="facebook", help="whose default recapture budget applies"
    )
    parser.add_argument("--budget", default="", help="calls/seconds, e.g. 20/3600")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    workdir = prepare(
        database=args.database, postgres_url=args.postgres_url, prefix="civicdesk-recapture-"
    )
    import time_machine
    from django.conf import settings

    # Tasks are collected, not queued, and run here in order: polls and recaptures only.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django.db import connection
    from django.db.models import Min, Sum
    from django_tasks import default_task_backend

    from civicdesk.accounts.models import Account
    from civicdesk.archive import rechecks
    from civicdesk.archive.models import Item, ItemVersion, RecaptureSpend, Recheck
    from civicdesk.archive.recapture_budget import budget_for, late_checks
    from civicdesk.core.models import Organization, Unit
    from civicdesk.core.scheduler import run_due_work

    feed = workdir / "feed.jsonl"
    changes = write_feed(feed, args.items, seed=args.seed)
    org = Organization.objects.create(name="Bench USD", slug="bench")
    unit = Unit.objects.create(organization=org, name="District Office", kind=Unit.Kind.DISTRICT)
    options: dict[str, object] = {
        "replay_path": str(feed),
        "replay_speed": 1,
        "replay_started_at": T0.isoformat(),
        "page_size": 500,
    }
    if args.budget:
        calls, _, seconds = args.budget.partition("/")
        options["recapture_budget"] = {"calls": int(calls), "seconds": int(seconds)}
    account = Account.objects.create(
        organization=org,
        unit=unit,
        platform=args.platform,
        handle="RiverbendUSD",
        display_name="Bench",
        options=options,
        poll_interval=POLL_SECONDS,
        next_poll_at=T0,
    )
    budget = budget_for(account)

    def run_enqueued() -> None:
        while default_task_backend.results:
            result = default_task_backend.results.pop(0)
            if result.task.name in ("poll_account", "recapture_items"):
                result.task.call(*result.args, **result.kwargs)

    started = time.perf_counter()
    end = T0 + timedelta(days=DAYS)
    now, steps = T0, 0
    while now < end:
        with time_machine.travel(now, tick=False):
            run_due_work(seal=False)
            run_enqueued()
        steps += 1
        if now >= T0 + timedelta(seconds=POST_SECONDS + POLL_SECONDS):
            # The posting is over: the replay holds nothing more to poll.
            Account.objects.filter(pk=account.pk).update(next_poll_at=end)
        next_poll = Account.objects.get(pk=account.pk).next_poll_at
        next_due = Recheck.objects.aggregate(at=Min("due_at"))["at"] or end
        now = max(now + TICK, min(next_poll, next_due, end))
    elapsed = time.perf_counter() - started

    on_time, lags, missed = 0, [], 0
    delays = rechecks.delays()
    items = {i.platform_id: i for i in Item.objects.filter(platform_id__in=list(changes))}
    for platform_id, (_, offset) in changes.items():
        item = items[platform_id]
        changed_at = T0 + timedelta(seconds=offset)
        versions = item.versions.filter(seq__gt=1).order_by("seq")
        captured = next((v.observed_at for v in versions if v.observed_at >= changed_at), None)
        due = next(
            (item.first_seen_at + d for d in delays if item.first_seen_at + d >= changed_at),
            None,
        )
        if captured is None:
            missed += 1
            continue
        lags.append((captured - changed_at).total_seconds())
        if due is not None:
            window = rechecks.window(due - item.first_seen_at)
            on_time += captured <= due + window
    calls = RecaptureSpend.objects.aggregate(calls=Sum("calls"))["calls"] or 0
    edits = sum(1 for kind, _ in changes.values() if kind == "edit")
    lags.sort()

    def hours(seconds: float) -> str:
        return f"{seconds / 3600:8.2f} h"

    print(
        f"database: {args.database} ({connection.vendor}), items: {args.items:,}, "
        f"simulated: {DAYS} days in {steps:,} scheduler runs, {elapsed:.1f} s"
    )
    print(f"recapture budget: {budget.calls} calls per {budget.seconds} s ({args.platform})")
    rows = [
        (
            "quiet changes",
            f"{len(changes):,} ({edits:,} edits, {len(changes) - edits:,} deletions)",
        ),
        ("captured", f"{len(lags):,} ({missed:,} never)"),
        ("captured within window", f"{100 * on_time / max(1, len(changes)):.2f} %"),
        ("lag, median", hours(statistics.median(lags)) if lags else "-"),
        ("lag, p95", hours(lags[int(0.95 * (len(lags) - 1))]) if lags else "-"),
        ("API calls", f"{calls:,}"),
        ("calls per item per day", f"{calls / args.items / DAYS:.4f}"),
        ("late checks", f"{late_checks():,}"),
        ("overdue at the end", f"{rechecks.overdue_count(now=end):,}"),
        ("versions", f"{ItemVersion.objects.count():,}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")
    print(f"peak memory (RSS): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
