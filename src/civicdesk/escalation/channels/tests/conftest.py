from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civicdesk.escalation.channels import verify_signature

SECRET = "receiver-secret"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    is_signed_by_us: bool


@dataclass
class Receiver:
    """What a real HTTP server on localhost received, and the answers it gives, in order."""

    url: str
    requests: list[Received] = field(default_factory=list)
    # (status, body, headers); once used up, every request gets 200 "ok".
    answers: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)

    def answer(self, status: int, body: str = "", **headers: str) -> None:
        self.answers.append((status, body, headers))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real webhook receiver (http.server in a thread) on a free local port."""
    received = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.requests.append(
                Received(
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                    is_signed_by_us=verify_signature(
                        SECRET,
                        self.headers.get("X-Civic-Desk-Timestamp", ""),
                        body,
                        self.headers.get("X-Civic-Desk-Signature", ""),
                        now=time.time(),
                    ),
                )
            )
            status, text, headers = received.answers.pop(0) if received.answers else (200, "ok", {})
            payload = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/civicdesk"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
