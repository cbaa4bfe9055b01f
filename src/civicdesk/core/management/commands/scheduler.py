from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from civicdesk.archive.partitions import ENSURE_EVERY_SECONDS
from civicdesk.core.scheduler import run_due_work


class Command(BaseCommand):
    help = (
        "Enqueue due work (account polls, archive seals, the daily e-mail of anchors, the"
        " archive's monthly partitions) in a loop."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.loop(interval=interval, once=once, verbosity=options["verbosity"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def loop(self, *, interval: float, once: bool, verbosity: int) -> None:
        last_seal = last_sweep = last_partition = 0.0
        while self.running:
            seal = time.monotonic() - last_seal >= settings.SEAL_INTERVAL_SECONDS
            sweep = time.monotonic() - last_sweep > settings.OWED_TASK_SWEEP_SECONDS
            partition = time.monotonic() - last_partition >= ENSURE_EVERY_SECONDS
            counts = run_due_work(seal=seal, sweep=sweep, partition=partition)
            if seal:
                last_seal = time.monotonic()
            if sweep:
                last_sweep = time.monotonic()
            if partition:
                last_partition = time.monotonic()
            if verbosity > 1 and any(counts.values()):
                self.stdout.write(
                    f"Enqueued {counts['polls']} polls and {counts['recaptures']} recaptures; "
                    f"made {counts['seals']} archive seals."
                )
            if once:
                return
            time.sleep(interval)
            close_old_connections()
