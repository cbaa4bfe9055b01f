from __future__ import annotations

import sys
from argparse import ArgumentParser
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import Platform
from civicdesk.core.supervisor import Child, civicdesk, supervise


def gunicorn_argv(address: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "civicdesk.wsgi:application",
        "--bind",
        address,
        "--workers",
        "2",
        "--threads",
        "4",
        "--error-logfile",
        "-",
        "--log-level",
        "warning",
    ]


def streamed_accounts_exist() -> bool:
    """Live Mastodon accounts get a streaming connection (accounts added later: after a restart)."""
    return (
        Account.objects.filter(platform=Platform.MASTODON, status=Account.Status.ACTIVE)
        .exclude(options__has_key="replay_path")
        .exists()
    )


def start(
    stdout: Any, *, address: str, workers: int, scheduler: bool, also: Sequence[Child] = ()
) -> int:
    """Run web server, workers and scheduler (and ``also``) until stopped; returns the exit code."""
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    children = [*also, Child("web server", gunicorn_argv(address))]
    children += [
        Child(f"worker {n + 1}", civicdesk("worker", "--verbosity", "0")) for n in range(workers)
    ]
    if scheduler:
        children.append(Child("scheduler", civicdesk("scheduler")))
    if streamed_accounts_exist():
        children.append(Child("Mastodon stream", civicdesk("stream")))
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    stdout.write(f"Database: {engine}; task queue: {settings.TASK_BACKEND}; workers: {workers}.")
    stdout.write(f"Civic Desk is running at http://{address}/  (Ctrl+C to stop)")
    return supervise(children, say=stdout.write)


class Command(BaseCommand):
    help = "Serve Civic Desk: web server, background workers and scheduler in one process tree."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--address", default="127.0.0.1:8000", help="host:port to listen on.")
        parser.add_argument("--workers", type=int, default=1, help="Background worker processes.")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Another process runs the scheduler."
        )

    def handle(
        self, *args: Any, address: str, workers: int, no_scheduler: bool, **options: Any
    ) -> None:
        raise SystemExit(
            start(self.stdout, address=address, workers=workers, scheduler=not no_scheduler)
        )
