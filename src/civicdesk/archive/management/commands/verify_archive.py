from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicdesk.archive.verify import verify_archive


class Command(BaseCommand):
    help = "Check every archived version's hash and chain, and every sealed day."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--max-problems", type=int, default=50, help="How many problems to list."
        )

    def handle(self, *args: Any, max_problems: int, **options: Any) -> None:
        report = verify_archive()
        self.stdout.write(
            f"Checked {report.versions} versions of {report.items} items and {report.days} sealed days."
        )
        if report.is_intact:
            self.stdout.write(
                self.style.SUCCESS("The archive is intact: every hash and chain link matches.")
            )
            return
        for problem in report.problems[:max_problems]:
            self.stderr.write(f"  {problem}")
        if len(report.problems) > max_problems:
            self.stderr.write(f"  … and {len(report.problems) - max_problems} more.")
        raise CommandError(f"The archive has been altered: {len(report.problems)} problems found.")
