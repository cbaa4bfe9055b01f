from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from civicdesk.archive.partitions import (
    DEFAULT_PARTITION,
    MONTHS_AHEAD,
    PartitionReport,
    ensure_month_partitions,
    partition_default_months,
)


class Command(BaseCommand):
    help = (
        "Create the archive's monthly partitions (PostgreSQL) for this month and the months "
        "ahead, as the scheduler does every hour."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--months-ahead",
            type=int,
            default=MONTHS_AHEAD,
            help=f"How many months after this one get their partition (default {MONTHS_AHEAD}).",
        )
        parser.add_argument(
            "--from-default",
            action="store_true",
            help="Also give each month that has versions in the default partition its own.",
        )

    def handle(self, *args: Any, months_ahead: int, from_default: bool, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Nothing to do: on SQLite the archive's versions are one table.")
            return
        if months_ahead < 0:
            raise CommandError("--months-ahead cannot be negative.")
        report = ensure_month_partitions(months_ahead=months_ahead)
        if from_default and not report.postponed:
            more = partition_default_months()
            report.created += more.created
            report.moved |= more.moved
            report.postponed = more.postponed
        if report.postponed:
            raise CommandError(
                "Another scheduler is creating partitions, or the version table stayed busy for "
                "a while; run this again in a minute."
            )
        if not report.created:
            self.stdout.write("Nothing to do: every month asked for has its partition already.")
            return
        self.stdout.write(self.style.SUCCESS(f"Created {_listed(report)}."))
        for name, versions in report.moved.items():
            self.stdout.write(
                f"Moved {versions:,} versions from {DEFAULT_PARTITION} into {name}, unchanged."
            )


def _listed(report: PartitionReport) -> str:
    names = ", ".join(report.created)
    return f"the partition {names}" if len(report.created) == 1 else f"the partitions {names}"
