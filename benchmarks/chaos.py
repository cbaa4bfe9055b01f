"""Chaos: real workers killed with SIGKILL at random moments while they ingest and triage.

    .venv/bin/python benchmarks/chaos.py --database sqlite --workers 1 --kills 50
    .venv/bin/python benchmarks/chaos.py --database postgres --workers 2 --kills 50
    .venv/bin/python benchmarks/chaos.py --database postgres --backend rq --workers 2 --kills 50

Three replay accounts, 20,000 items by default, with edits and deletions, most of them arriving
while workers are being killed. After the kills the work drains and the archive is compared
with the feeds: expected against archived items and versions (lost, extra), items never
triaged, ``verify-archive``; then the tamperings are applied one by one to copies of the
database and each must be found.
"""

from __future__ import annotations

import argparse

from fresh_database import prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgres://postgres@127.0.0.1:5432/civicdesk_chaos"
    )
    parser.add_argument("--backend", choices=["database", "rq"], default="database")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--arrival-seconds", type=float, default=90.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-tampering", action="store_true")
    args = parser.parse_args()

    workdir = prepare(
        database=args.database, postgres_url=args.postgres_url, prefix="civicdesk-chaos-"
    )
    extra_env = {}
    if args.backend == "rq":
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        extra_env["CIVICDESK_REDIS_URL"] = args.redis_url

    from civicdesk.testing.chaos import ChaosPlan, run

    plan = ChaosPlan(
        accounts=args.accounts,
        items=args.items,
        workers=args.workers,
        kills=args.kills,
        arrival_seconds=args.arrival_seconds,
        backend=args.backend,
        seed=args.seed,
    )
    print(
        f"Chaos on {args.database} ({args.backend} queue): {plan.items:,} items on "
        f"{plan.accounts} accounts, {plan.workers} worker(s), {plan.kills} kills."
    )
    report = run(
        plan=plan,
        workdir=workdir,
        extra_env=extra_env,
        tamper=not args.skip_tampering,
        progress=lambda line: print("  " + line),
    )
    rows = [
        ("workers killed (SIGKILL)", report.kills),
        ("items expected / archived", f"{report.expected_items:,} / {report.archived_items:,}"),
        (
            "versions expected / archived",
            f"{report.expected_versions:,} / {report.archived_versions:,}",
        ),
        ("items lost", report.lost_items),
        ("versions lost / extra", f"{report.lost_versions} / {report.extra_versions}"),
        ("items with a wrong history", len(report.wrong_history)),
        ("items never triaged", report.never_triaged),
        ("items marked not triaged", report.not_triaged),
        ("verify-archive", "intact" if report.archive_intact else "PROBLEMS"),
        ("drained after the kills", "yes" if report.drained else "NO (timed out)"),
        (
            "tamperings found by verify-archive",
            f"{report.tamperings - len(report.tamperings_missed)} of {report.tamperings}",
        ),
        ("run time", f"{report.seconds:.0f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for line in report.wrong_history[:5] + report.archive_problems[:5]:
        print(f"  ! {line}")

    for name in report.tamperings_missed:
        print(f"  ! tampering missed: {name}")
    raise SystemExit(0 if report.is_clean else 1)


if __name__ == "__main__":
    main()
