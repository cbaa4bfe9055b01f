from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a background worker for the configured task queue (database or Redis)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between checks when idle."
        )

    def handle(self, *args: Any, batch: bool, interval: float, **options: Any) -> None:
        if settings.TASK_BACKEND == "rq":
            # Jobs run in this process, not in a fork per job: the triage models stay loaded
            # from one job to the next (a fork would load them again for every job, and the
            # language detector's thread pool does not survive a fork).
            call_command(
                "rqworker",
                "urgent",  # listed first: RQ empties the queues in this order
                "default",
                job_class="django_tasks_rq.Job",
                worker_class="rq.worker.SimpleWorker",
                burst=batch,
            )
            return
        worker_options: dict[str, Any] = {
            "queue_name": "*",
            "interval": interval,
            "reload": False,
            "startup_delay": False,
            "verbosity": options["verbosity"],
        }
        if batch:
            worker_options["batch"] = True
        call_command("db_worker", **worker_options)
