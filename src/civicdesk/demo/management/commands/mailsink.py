from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.core.management.base import BaseCommand, CommandError

from civicdesk.demo.mailsink import KeepInFolder


class Command(BaseCommand):
    help = "A local SMTP server that keeps every message as a file (the demo's mail sink)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--address", default="127.0.0.1:8025", help="host:port to listen on.")
        parser.add_argument("--folder", required=True, help="Where to keep the messages.")

    def handle(self, *args: Any, address: str, folder: str, **options: Any) -> None:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"--address must be host:port, not {address!r}.")
        controller = Controller(KeepInFolder(Path(folder)), hostname=host, port=int(port))
        try:
            controller.start()
        except OSError as exc:
            raise CommandError(f"Cannot listen on {address}: {exc.strerror or exc}.") from exc
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
        self.stdout.write(f"Mail sink listening on {address}, keeping messages in {folder}.")
        stopped.wait()
        controller.stop()
