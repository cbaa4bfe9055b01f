"""A real local AT Protocol network (``@atproto/dev-env``: PLC, PDS, bsky AppView) for one module.

``network.mjs`` runs it on PostgreSQL (a database of its own, dropped afterwards) and Redis. It
is installed with ``npm ci`` in this folder; without ``node_modules`` the tests are skipped.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

HERE = Path(__file__).parent
POSTGRES = os.environ.get("CIVICDESK_TEST_ATPROTO_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = ("127.0.0.1", 6379)
START_TIMEOUT = 75.0


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class AtprotoNetwork:
    """The running network: its service URLs, its accounts, and a way to wait for the AppView."""

    process: subprocess.Popen[str]
    pds: str
    appview: str
    accounts: dict[str, dict[str, str]]
    answers: list[dict[str, Any]] = field(default_factory=list)

    def command(self, line: str, *, timeout: float = 30.0) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return _read_json_line(self.process, timeout=timeout)

    def index(self) -> None:
        """Wait until the AppView has indexed every write made so far."""
        assert self.command("process") == {"processed": True}

    def session(self, name: str) -> dict[str, str]:
        """A password session of one of the network's public accounts."""
        account = self.accounts[name]
        response = httpx.post(
            f"{self.pds}/xrpc/com.atproto.server.createSession",
            json={"identifier": account["handle"], "password": account["password"]},
        )
        response.raise_for_status()
        return response.json()

    def transport(self) -> httpx.BaseTransport:
        """A transport that keeps every answer, to be written out as contract payloads."""
        return _KeepingTransport(self.answers)


class _KeepingTransport(httpx.HTTPTransport):
    def __init__(self, answers: list[dict[str, Any]]) -> None:
        super().__init__()
        self._answers = answers

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        if request.url.path.startswith("/xrpc/"):
            try:
                body = response.json()
            except ValueError:
                body = None
            self._answers.append(
                {
                    "method": request.url.path.removeprefix("/xrpc/"),
                    "status": response.status_code,
                    "body": body,
                    "ratelimit": {
                        k: v for k, v in response.headers.items() if k.startswith("ratelimit-")
                    },
                }
            )
        return response


def _read_json_line(process: subprocess.Popen[str], *, timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("{"):
                return json.loads(line)
        elif process.poll() is not None:
            break
    raise AssertionError(f"The AT Protocol network did not answer within {timeout:.0f}s.")


@pytest.fixture(scope="session")
def atproto_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AtprotoNetwork]:
    if not (HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        pytest.skip("The AT Protocol network is not installed: run `npm ci` in tests/atproto.")
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed.")
    if not _reachable(*REDIS):
        pytest.skip("Redis is not running at 127.0.0.1:6379.")
    database = f"civicdesk_atproto_{os.getpid()}"
    try:
        admin = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES}: {exc}")
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    scratch = tmp_path_factory.mktemp("atproto")
    log = (scratch / "network.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        ["node", str(HERE / "network.mjs")],  # noqa: S607
        cwd=HERE,
        env={
            **os.environ,
            "ATPROTO_DB_URL": f"{POSTGRES}/{database}",
            "REDIS_HOST": f"{REDIS[0]}:{REDIS[1]}",
            # The PDS keeps its repositories and blobs under the temporary folder.
            "TMPDIR": str(scratch),
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )
    try:
        started = _read_json_line(process, timeout=START_TIMEOUT)
        yield AtprotoNetwork(
            process=process,
            pds=started["pds"],
            appview=started["appview"],
            accounts=started["accounts"],
        )
    finally:
        _stop(process)
        log.close()
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        try:
            assert process.stdin is not None
            process.stdin.write("close\n")
            process.stdin.flush()
            process.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
