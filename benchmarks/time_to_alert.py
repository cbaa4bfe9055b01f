"""Time to alert: threats mixed into replayed traffic, timed from ingest to the e-mail's arrival.

    .venv/bin/python benchmarks/time_to_alert.py --items 100000 --threats 1000 --rate 100
    .venv/bin/python benchmarks/time_to_alert.py --items 100000 --threats 1000 --burst
    .venv/bin/python benchmarks/time_to_alert.py --database postgres --workers 2 --burst

On a fresh database, one district with a threat policy whose first level is one person with an
e-mail address, and one public account replaying a feed: ordinary comments (the demo's recorded
traffic) with explicit threats spread evenly through it, each its own post by its own author (so
no threat joins another's incident). The processes run as ``civicdesk serve`` runs them: a
scheduler and ``--workers`` workers with their default intervals, the account polled every
second. A real SMTP server in this process receives the alerts.

``--rate N``: the feed becomes due at N items a second (steady traffic). ``--burst``: all of it
is due at once (a backlog), so threats must be scored and escalated ahead of ordinary work.
Each threat is timed from its arrival at ingest (``Item.first_seen_at``) to the moment its
alert reached the SMTP server. Prints p50, p99, max, and how many threats were alerted exactly
once, more than once, or not at all.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from fresh_database import prepare
from pipeline import recorded_texts

ROOT = Path(__file__).resolve().parent.parent
THREATS = [
    "i will kill the principal at {school} tomorrow with my gun",
    "im going to shoot up {school} on monday, everyone there will die",
    "i will stab the teachers at {school} with my knife this friday",
    "going to bring my gun to {school} tomorrow and kill them all",
]
SCHOOLS = ["Lincoln Middle", "Riverbend High", "Oak Grove", "Cedar Middle", "Pine Ridge"]


class Inbox:
    """The SMTP server: when each alert arrived, by incident."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: dict[str, list[float]] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        at = time.time()
        message = message_from_bytes(envelope.content, policy=policy.default)
        incident = str(message["X-Civic-Desk-Incident"] or "").strip()
        with self.lock:
            self.arrivals.setdefault(incident, []).append(at)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_feed(path: Path, n: int, threats: int, rate: float) -> set[str]:
    """``n`` items, ``threats`` of them explicit threats spread evenly; returns the threats' ids."""
    recorded = recorded_texts()
    every = max(1, n // max(threats, 1))
    threat_ids = set()
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            offset = i / rate if rate > 0 else -n + i
            if len(threat_ids) < threats and i % every == every // 2:
                text = THREATS[i % len(THREATS)].format(school=SCHOOLS[i % len(SCHOOLS)])
                event = {"id": f"t{i}", "kind": "post", "text": text, "offset_s": offset}
                event["author"] = {"handle": f"stranger{i}"}
                threat_ids.add(f"t{i}")
            else:
                source = recorded[i % len(recorded)]
                event = {
                    "id": f"c{i}",
                    "kind": "comment",
                    "text": source["text"],
                    "offset_s": offset,
                    "author": {"handle": f"resident{i % 997}"},
                    "parent_id": "p0",
                }
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    return threat_ids


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = prepare(database=args.database, postgres_url=args.postgres_url, prefix="alert-")
    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from civicdesk.accounts.models import Account
    from civicdesk.archive.models import Item
    from civicdesk.core.models import Organization, Unit
    from civicdesk.escalation.models import ContactMethod, EscalationPolicy, Incident, PolicyLevel
    from civicdesk.testing.factories import UserFactory

    org = Organization.objects.create(name="Bench USD", slug="bench")
    district = Unit.objects.create(organization=org, name="District", kind=Unit.Kind.DISTRICT)
    lead = UserFactory.create(username="safety_lead", email="lead@bench.example")
    ContactMethod.objects.create(user=lead, kind="email", address=lead.email)
    threat_policy = EscalationPolicy.objects.create(organization=org, signal="threat", name="T")
    PolicyLevel.objects.create(policy=threat_policy, position=1, wait_minutes=60).people.add(lead)

    feed = workdir / "feed.jsonl"
    rate = 0.0 if args.burst else args.rate
    threat_ids = write_feed(feed, args.items, args.threats, rate)
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {
        **os.environ,
        "CIVICDESK_SMTP_HOST": "127.0.0.1",
        "CIVICDESK_SMTP_PORT": str(port),
        "CIVICDESK_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    log = (workdir / "processes.log").open("w")
    civicdesk = str(ROOT / ".venv" / "bin" / "civicdesk")
    processes = [
        subprocess.Popen([civicdesk, "worker", "--verbosity", "0"], env=env, stdout=log, stderr=log)  # noqa: S603
        for _ in range(args.workers)
    ]
    processes.append(subprocess.Popen([civicdesk, "scheduler"], env=env, stdout=log, stderr=log))  # noqa: S603
    time.sleep(args.warm_up)  # the workers load their models, as a running server's have
    Account.objects.create(
        organization=org,
        unit=district,
        platform="facebook",
        handle="BenchUSD",
        display_name="Bench USD",
        poll_interval=1,
        options={
            "replay_path": str(feed),
            "replay_speed": 1,
            "replay_started_at": timezone.now().isoformat(),
            "page_size": 500,
        },
    )
    started = time.time()
    deadline = started + (args.items / rate if rate else 0) + args.timeout
    try:
        while time.time() < deadline:
            alerted = Incident.objects.filter(item__platform_id__in=threat_ids).count()
            with inbox.lock:
                mails = sum(len(v) for v in inbox.arrivals.values())
            if alerted >= len(threat_ids) and mails >= len(threat_ids):
                break
            time.sleep(1)
        time.sleep(2)  # a late repeat would still be counted
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        smtp.stop()
    arrived_at = {
        item_id: first_seen.timestamp()
        for item_id, first_seen in Item.objects.filter(platform_id__in=threat_ids).values_list(
            "pk", "first_seen_at"
        )
    }
    delays, once, twice, never = [], 0, 0, 0
    for incident_pk, item_pk in Incident.objects.filter(item_id__in=arrived_at).values_list(
        "pk", "item_id"
    ):
        times = inbox.arrivals.get(f"Incident {incident_pk}", [])
        if times:
            delays.append(min(times) - arrived_at[item_pk])
        once += len(times) == 1
        twice += len(times) > 1
    never = len(threat_ids) - once - twice
    delays.sort()
    return {
        "database": args.database,
        "workers": args.workers,
        "mode": "burst" if args.burst else f"{args.rate:g} items/s",
        "items": args.items,
        "threats": len(threat_ids),
        "stored": len(arrived_at),
        "p50": statistics.median(delays) if delays else None,
        "p99": delays[min(len(delays) - 1, round(0.99 * (len(delays) - 1)))] if delays else None,
        "max": delays[-1] if delays else None,
        "exactly_once": once,
        "more_than_once": twice,
        "not_alerted": never,
        "seconds": time.time() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--threats", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=100.0, help="items a second (steady)")
    parser.add_argument("--burst", action="store_true", help="all items due at once")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgres://postgres@127.0.0.1:5432/civicdesk_alert_bench"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warm-up", type=float, default=8.0, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds after the feed")
    args = parser.parse_args()
    result = run(args)

    def seconds(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f} s"

    print(
        f"{result['database']}, {result['workers']} worker(s), {result['mode']}:"
        f" {result['threats']:,} threats in {result['items']:,} items ({result['stored']:,} stored)"
    )
    print(
        f"  ingest to alert: p50 {seconds(result['p50'])}, p99 {seconds(result['p99'])},"
        f" max {seconds(result['max'])}"
    )
    print(
        f"  alerted exactly once: {result['exactly_once']:,}; more than once:"
        f" {result['more_than_once']:,}; not alerted: {result['not_alerted']:,}"
        f" (run took {result['seconds']:.0f} s)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
