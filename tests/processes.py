"""Starting real Civic Desk processes against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


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
