"""Runs the web server, the worker and the scheduler as one process tree.

A child that dies is started again (a killed worker loses nothing: polls are leased and
resumed from the committed cursor). Ctrl+C or SIGTERM stops them all.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)


def civicdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "civicdesk", *args]


def supervise(children: list[Child], *, say: Callable[[str], None]) -> int:
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for child in children:
        child.process = subprocess.Popen(child.argv)  # noqa: S603 - our own interpreter and module
    try:
        while not stopping:
            time.sleep(0.5)
            for child in children:
                assert child.process is not None
                code = child.process.poll()
                if code is None or stopping:
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < 60] + [now]
                if len(child.restarts) > 5:
                    say(f"The {child.name} keeps stopping (exit code {code}); shutting down.")
                    return 1
                say(f"The {child.name} stopped (exit code {code}); starting it again.")
                child.process = subprocess.Popen(child.argv)  # noqa: S603
    finally:
        for child in children:
            if child.process and child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            if child.process:
                try:
                    child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.process.kill()
    return 0
