from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicdesk.archive.anchoring import AnchorError, load_public_key
from civicdesk.archive.verify import VerifyReport, verify_archive


class Command(BaseCommand):
    help = (
        "Check every archived version's hash and chain, every column the pages show, every "
        "seal, and the anchor files that hold the seals' signed digests."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--anchors",
            type=Path,
            nargs="+",
            default=[],
            metavar="FILE",
            help="Anchor files kept elsewhere (the e-mailed copies) to check the database against.",
        )
        parser.add_argument(
            "--public-key",
            type=Path,
            metavar="FILE",
            help="The records officer's copy of the public key (civicdesk anchor-key --public).",
        )
        parser.add_argument(
            "--max-problems", type=int, default=50, help="How many problems to list."
        )

    def handle(
        self,
        *args: Any,
        anchors: list[Path],
        public_key: Path | None,
        max_problems: int,
        **options: Any,
    ) -> None:
        try:
            key = load_public_key(public_key) if public_key else None
        except AnchorError as exc:
            raise CommandError(str(exc)) from exc
        report = verify_archive(anchors=anchors, public_key=key)
        self.summarize(report)
        for note in report.notes:
            self.stdout.write(note)
        if report.is_intact:
            self.stdout.write(
                self.style.SUCCESS(
                    "The archive is intact: every hash, chain link, column, seal and anchor matches."
                )
            )
            return
        for problem in report.problems[:max_problems]:
            self.stderr.write(f"  {problem}")
        if len(report.problems) > max_problems:
            self.stderr.write(f"  … and {len(report.problems) - max_problems} more.")
        raise CommandError(f"The archive has been altered: {len(report.problems)} problems found.")

    def summarize(self, report: VerifyReport) -> None:
        self.stdout.write(
            f"Checked {report.versions:,} versions of {report.items:,} items: content hashes, "
            "chain links, and every column the pages show."
        )
        self.stdout.write(
            f"Checked {report.seals:,} seals covering {report.sealed_versions:,} versions."
        )
        if report.unsealed_versions:
            since = report.unsealed_since
            self.stdout.write(
                f"{report.unsealed_versions:,} versions stored since "
                f"{since:%Y-%m-%d %H:%M} UTC are not sealed yet; the next seal covers them."
                if since
                else f"{report.unsealed_versions:,} versions are not sealed yet."
            )
        for anchors in report.anchor_files:
            self.stdout.write(
                f"Checked {anchors.anchors:,} anchors in {anchors.path}, signed with key "
                f"{anchors.key_id}."
            )
