"""Chaos runs: real workers killed with SIGKILL at random moments while they ingest and triage.

A run writes replay feeds with edits and deletions (so the exact history every item must end
with is known in advance), starts a real scheduler and real workers (``civicdesk scheduler``,
``civicdesk worker``) on the database Django is connected to, kills a random worker's whole
process group every so often and starts a new one, then waits for the work to drain and
compares the archive with the feeds: items and versions lost or extra, items never triaged,
and ``verify-archive``. Used by ``benchmarks/chaos.py`` and, in a short form, by the tests.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone

# Short leases so that a killed worker's work is picked up within seconds, not minutes.
CHAOS_ENV = {
    "CIVICDESK_POLL_LEASE_SECONDS": "4",
    "CIVICDESK_OWED_TASK_LEASE_SECONDS": "60",
    "CIVICDESK_OWED_TASK_GRACE_SECONDS": "2",
    "CIVICDESK_OWED_TASK_SWEEP_SECONDS": "1",
    "CIVICDESK_TASK_ABANDONED_AFTER_SECONDS": "30",
    "CIVICDESK_SEAL_INTERVAL_SECONDS": "10",
    "CIVICDESK_LOG_LEVEL": "WARNING",
}


@dataclass
class ChaosPlan:
    accounts: int = 3
    items: int = 20_000  # across all accounts
    edit_share: float = 0.08
    delete_share: float = 0.03
    history_share: float = 0.3  # delivered at once; the rest arrives while workers are killed
    arrival_seconds: float = 60.0
    page_size: int = 50
    workers: int = 1
    kills: int = 50
    kill_every: tuple[float, float] = (0.2, 1.5)
    backend: str = "database"  # or "rq"
    seed: int = 7
    drain_timeout: float = 600.0


@dataclass
class ChaosReport:
    kills: int = 0
    expected_items: int = 0
    expected_versions: int = 0
    archived_items: int = 0
    archived_versions: int = 0
    lost_items: int = 0
    lost_versions: int = 0
    extra_versions: int = 0
    wrong_history: list[str] = field(default_factory=list)
    never_triaged: int = 0
    not_triaged: int = 0
    archive_intact: bool = False
    archive_problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    drained: bool = False
    tamperings: int = 0
    tamperings_missed: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return (
            self.drained
            and self.lost_items == self.lost_versions == self.extra_versions == 0
            and not self.wrong_history
            and self.never_triaged == self.not_triaged == 0
            and self.archive_intact
            and not self.tamperings_missed
        )


# Per item: the states it must have, oldest first, as (text, is_deleted).
History = dict[str, list[tuple[str, bool]]]


def write_feed(path: Path, *, account: int, items: int, plan: ChaosPlan) -> History:
    """A replay feed of posts, comments, edits and deletions, and the history it must produce."""
    rng = random.Random(plan.seed * 1000 + account)
    events: list[dict[str, Any]] = []
    history: History = {}
    handle = f"agency{account}"
    history_items = int(items * plan.history_share)
    for i in range(items):
        if i < history_items:
            offset: float = -history_items + i
        else:
            offset = (i - history_items) * plan.arrival_seconds / max(items - history_items, 1)
        is_post = i % 40 == 0
        platform_id = f"a{account}-{'p' if is_post else 'c'}{i}"
        base = {
            "id": platform_id,
            "kind": "post" if is_post else "comment",
            "author": {"handle": handle if is_post else f"resident{i % 613}"},
            "parent_id": "" if is_post else f"a{account}-p{(i // 40) * 40}",
        }
        text = f"Item {i} on account {account}: is the bus to Lincoln Middle running today?"
        events.append({**base, "text": text, "offset_s": offset})
        states = [(text, False)]
        when: float = offset
        if rng.random() < plan.edit_share:
            for edit in range(rng.choice((1, 1, 2))):
                when += rng.uniform(0.5, 20)
                text = f"{text} (edit {edit + 1})"
                events.append(
                    {
                        **base,
                        "op": "edit",
                        "text": text,
                        "offset_s": when,
                        "created_offset_s": offset,
                    }
                )
                states.append((text, False))
        if rng.random() < plan.delete_share:
            when += rng.uniform(0.5, 20)
            events.append({"op": "delete", "id": platform_id, "offset_s": when})
            states.append((text, True))
        history[platform_id] = states
    events.sort(key=lambda e: e["offset_s"])
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event) + "\n")
    return history


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


class Processes:
    """Real civicdesk processes, each in its own process group so a kill takes its children."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.workers: list[subprocess.Popen[bytes]] = []
        self.scheduler: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{args[0]}-{time.monotonic_ns()}.log").open("wb")
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "civicdesk", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self) -> None:
        self.workers.append(self.start("worker", "--interval", "0.1"))

    def start_scheduler(self) -> None:
        self.scheduler = self.start("scheduler", "--interval", "0.3")

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in [*self.workers, *([self.scheduler] if self.scheduler else [])]:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            self.kill(process)  # and whatever the process group still holds


def run(
    *,
    plan: ChaosPlan,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    tamper: bool = True,
    progress: Callable[[str], None] = lambda line: None,
) -> ChaosReport:
    """Run one chaos run against the database Django is connected to (it should be empty).

    With ``tamper``, the archive the run left is then tampered with in every way on record
    (each on a copy, rolled back) and each must be found by ``verify-archive``.
    """
    from django.conf import settings

    from civicdesk.accounts.models import Account
    from civicdesk.core.models import Organization, Unit

    rng = random.Random(plan.seed)
    organization = Organization.objects.create(name="Chaos County Schools", slug="chaos")
    unit = Unit.objects.create(organization=organization, name="District office", kind="district")
    expected: dict[int, History] = {}
    lines: dict[int, int] = {}
    started_at = timezone.now()
    per_account = plan.items // plan.accounts
    for n in range(plan.accounts):
        feed = workdir / f"feed{n}.jsonl"
        history = write_feed(feed, account=n, items=per_account, plan=plan)
        account = Account.objects.create(
            organization=organization,
            unit=unit,
            platform="facebook",
            handle=f"agency{n}",
            display_name=f"Chaos account {n}",
            poll_interval=1,
            options={
                "replay_path": str(feed),
                "replay_speed": 1,
                "replay_started_at": started_at.isoformat(),
                "page_size": plan.page_size,
            },
        )
        expected[account.pk] = history
        lines[account.pk] = sum(1 for _ in feed.open())

    env = {
        **os.environ,
        **CHAOS_ENV,
        "DATABASE_URL": database_url(),
        "CIVICDESK_VAR_DIR": str(workdir),
        "CIVICDESK_TASK_BACKEND": plan.backend,
        # The workers seal and sign into the same files this process verifies against.
        "CIVICDESK_ANCHOR_FILE": str(settings.ANCHOR_FILE),
        "CIVICDESK_ANCHOR_KEY_FILE": str(settings.ANCHOR_KEY_FILE),
        **(extra_env or {}),
    }
    processes = Processes(workdir, env)
    report = ChaosReport()
    began = time.monotonic()
    try:
        processes.start_scheduler()
        for _ in range(plan.workers):
            processes.start_worker()
        while report.kills < plan.kills:
            # Kill only a worker that is doing something: wait for work to move since the last
            # kill (ingest or triage), then let it run for a random moment more.
            _wait_for_progress(timeout=30)
            time.sleep(rng.uniform(*plan.kill_every))
            victim = rng.randrange(len(processes.workers))
            processes.kill(processes.workers[victim])
            processes.workers[victim] = processes.start("worker", "--interval", "0.1")
            report.kills += 1
            if report.kills % 10 == 0:
                progress(f"{report.kills} kills, {_archived_items()} items archived")
        report.drained = _wait_for_drain(lines, timeout=plan.drain_timeout, progress=progress)
    finally:
        processes.stop_all()
    report.seconds = time.monotonic() - began
    from civicdesk.archive.sealing import seal_archive

    seal_archive()  # what arrived since the scheduler's last seal
    _compare(expected, report)
    if tamper and report.archive_intact:
        from civicdesk.archive.tampering import run_tamperings

        _add_sealed_and_open_items(next(iter(expected)))
        results = run_tamperings()
        report.tamperings = len(results)
        report.tamperings_missed = [r.tampering.name for r in results if not r.is_found]
    return report


def _add_sealed_and_open_items(account_id: int) -> None:
    """As in normal running: a newest seal over whole items, and items and edits after it."""
    from django.db import transaction

    from civicdesk.accounts.models import Account
    from civicdesk.archive.ingest import store_records
    from civicdesk.archive.sealing import seal_archive
    from civicdesk.connectors.base import ItemKind, ItemRecord

    account = Account.objects.get(pk=account_id)

    def comment(n: int, text: str) -> ItemRecord:
        return ItemRecord(
            platform_id=f"tail-{n}",
            kind=ItemKind.COMMENT,
            text=text,
            created_at=timezone.now(),
            author_handle=f"latecomer{n}",
        )

    with transaction.atomic():
        store_records(
            account=account,
            records=[comment(n, f"Late comment {n}") for n in range(5)],
            source="poll",
        )
    seal_archive()
    with transaction.atomic():
        store_records(
            account=account,
            records=[comment(n, f"Late comment {n}, edited") for n in range(3)]
            + [comment(n, f"Later comment {n}") for n in range(5, 8)],
            source="poll",
        )


def _work_done() -> int:
    from civicdesk.archive.models import ItemVersion
    from civicdesk.triage.models import Assessment

    return ItemVersion.objects.count() + Assessment.objects.count()


def _wait_for_progress(*, timeout: float) -> None:
    start, deadline = _work_done(), time.monotonic() + timeout
    while _work_done() == start and time.monotonic() < deadline:
        time.sleep(0.1)


def _archived_items() -> int:
    from civicdesk.archive.models import Item

    return Item.objects.count()


def _drained(lines: dict[int, int]) -> bool:
    from civicdesk.accounts.models import Account
    from civicdesk.core.models import OwedTask
    from civicdesk.inbox.models import Entry

    for account_id, cursor in Account.objects.filter(pk__in=lines).values_list("pk", "cursor"):
        if not cursor or int(cursor.split(":")[1]) < lines[account_id]:
            return False
    return (
        not OwedTask.objects.filter(gave_up_at__isnull=True).exists()
        and not Entry.objects.filter(triage_status=Entry.TriageStatus.PENDING).exists()
    )


def _wait_for_drain(
    lines: dict[int, int], *, timeout: float, progress: Callable[[str], None]
) -> bool:
    deadline = time.monotonic() + timeout
    last_note = time.monotonic()
    while time.monotonic() < deadline:
        if _drained(lines):
            return True
        if time.monotonic() - last_note > 15:
            progress(f"waiting for the work to drain: {_archived_items()} items archived")
            last_note = time.monotonic()
        time.sleep(0.5)
    return False


def _compare(expected: dict[int, History], report: ChaosReport) -> None:
    from civicdesk.archive.models import Item, ItemVersion
    from civicdesk.archive.verify import verify_archive
    from civicdesk.inbox.models import Entry

    archived: dict[tuple[int, str], list[tuple[str, bool]]] = defaultdict(list)
    versions = ItemVersion.objects.order_by("item_id", "seq").values_list(
        "item__account_id", "item__platform_id", "content"
    )
    for account_id, platform_id, content in versions.iterator(chunk_size=5000):
        data = json.loads(content)
        archived[(account_id, platform_id)].append(
            (str(data.get("text", "")), bool(data.get("is_deleted")))
        )
    for account_id, history in expected.items():
        for platform_id, states in history.items():
            report.expected_items += 1
            report.expected_versions += len(states)
            got = archived.pop((account_id, platform_id), [])
            if not got:
                report.lost_items += 1
            report.lost_versions += max(len(states) - len(got), 0)
            report.extra_versions += max(len(got) - len(states), 0)
            if got and got != states and len(report.wrong_history) < 20:
                report.wrong_history.append(f"{platform_id}: expected {states}, archived {got}")
    for key, got in archived.items():  # items that no feed holds
        report.extra_versions += len(got)
        report.wrong_history.append(f"{key[1]}: archived but never posted")
    report.archived_items = Item.objects.count()
    report.archived_versions = ItemVersion.objects.count()
    report.never_triaged = Entry.objects.filter(triage_status=Entry.TriageStatus.PENDING).count()
    report.not_triaged = Entry.objects.filter(triage_status=Entry.TriageStatus.FAILED).count()
    verified = verify_archive()
    report.archive_intact = verified.is_intact
    report.archive_problems = [str(p) for p in verified.problems[:20]]
