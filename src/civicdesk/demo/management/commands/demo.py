from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from civicdesk.core.management.commands.serve import start
from civicdesk.demo.agency import DEMO_PASSWORD, STAFF, create_demo_agency
from civicdesk.demo.sink_process import mail_sink


class Command(BaseCommand):
    help = "Run the demo agency: Riverbend's school district, police department and mayor's office."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--address", default="127.0.0.1:8000", help="host:port to listen on.")
        parser.add_argument(
            "--speed",
            type=float,
            default=1.0,
            help="Replay speed: 1 is real time, 10 plays ten times faster.",
        )
        parser.add_argument(
            "--setup-only", action="store_true", help="Create the demo agency, then exit."
        )

    def handle(
        self, *args: Any, address: str, speed: float, setup_only: bool, **options: Any
    ) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        accounts = create_demo_agency(started_at=timezone.now(), speed=speed)
        self.stdout.write(
            f"Demo agency ready: 3 organizations, {len(accounts)} official accounts replaying traffic."
        )
        self.stdout.write(f"Sign in as  admin / {DEMO_PASSWORD}  (sees everything)")
        for username, _org, unit, role in STAFF:
            self.stdout.write(f"        or  {username} / {DEMO_PASSWORD}  ({role} of {unit})")
        if setup_only:
            return
        # The links in the demo's alerts lead back to the demo.
        os.environ.setdefault("CIVICDESK_PUBLIC_URL", f"http://{address}")
        sink = mail_sink()
        self.stdout.write(
            f"Mail the demo sends (alerts, digests) is caught locally: see /demo/mail/ ({sink.folder})."
        )
        raise SystemExit(
            start(self.stdout, address=address, workers=1, scheduler=True, also=[sink.child])
        )
