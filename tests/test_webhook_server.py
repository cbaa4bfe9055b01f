"""A Meta delivery sent in chunks to the real web server that `civicdesk serve` runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from civicdesk.connectors.models import WebhookDelivery
from civicdesk.core.management.commands.serve import gunicorn_argv

from . import processes

pytestmark = pytest.mark.server

SECRET = "meta-app-secret-for-the-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_chunked_delivery_reaches_the_archive_whole(tmp_path, transactional_db):
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        gunicorn_argv(f"127.0.0.1:{port}"),
        env={
            **os.environ,
            "DATABASE_URL": processes.test_database_url(),
            "CIVICDESK_VAR_DIR": str(tmp_path),
            "CIVICDESK_META_APP_SECRET": SECRET,
        },
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("wb"),
    )
    try:

        def answers() -> bool:
            try:
                httpx.get(f"http://127.0.0.1:{port}/webhooks/meta/", timeout=1)
            except httpx.TransportError:
                return False
            return True

        processes.wait_for(answers, timeout=30, what="the web server to answer")
        entry = {"id": "104392", "time": int(time.time()), "changes": [{"field": "feed"}]}
        body = json.dumps({"object": "page", "entry": [entry]}).encode()

        def in_chunks() -> Iterator[bytes]:
            yield from (body[i : i + 16] for i in range(0, len(body), 16))

        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/meta/",
            content=in_chunks(),
            headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
            timeout=10,
        )
        assert response.request.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in response.request.headers
        assert (response.status_code, response.text) == (
            200,
            "Received; 0 accounts will be polled now.",
        )
        assert json.loads(WebhookDelivery.objects.get().body) == json.loads(body)
    finally:
        server.terminate()
        server.wait(timeout=10)
