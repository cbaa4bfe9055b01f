"""Starting real Civic Desk processes against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from civicdesk.testing.chaos import database_url


def test_database_url() -> str:
    return database_url()


def civicdesk(
    *args: str, var_dir: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    full_env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CIVICDESK_VAR_DIR": str(var_dir),
        "CIVICDESK_TASK_BACKEND": "database",
        **(env or {}),
    }
    log = (var_dir / f"{args[0]}-{time.monotonic_ns()}.log").open("wb")
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "civicdesk", *args],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}.")
