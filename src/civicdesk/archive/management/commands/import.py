from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from civicdesk.accounts.models import Account
from civicdesk.archive.importers import IMPORTERS, ArchiveFormatError, Progress, import_archive
from civicdesk.archive.importers.importing import PLATFORMS


def _megabytes(count: int) -> str:
    if count < 100_000:
        return f"{count / 1000:,.1f} kB"
    return f"{count / 1_000_000:,.1f} MB"


class Command(BaseCommand):
    help = (
        "Import an archive an account already holds: an X archive, a Mastodon export, "
        "Facebook or Instagram “Download your information” JSON, or a CSV file."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="The archive: a zip, a folder or one file.")
        parser.add_argument("--account", required=True, help="The account's handle or id.")
        parser.add_argument("--format", required=True, choices=sorted(IMPORTERS))
        parser.add_argument("--by", default="", help="Username of the person importing.")

    def handle(
        self, *args: Any, path: Path, account: str, format: str, by: str, **options: Any
    ) -> None:
        target = self._account(account, PLATFORMS.get(format))
        person = None
        if by:
            person = get_user_model().objects.filter(username=by).first()
            if person is None:
                raise CommandError(f"There is no user named {by!r}.")
        self._on_line = False
        try:
            run = import_archive(
                account=target,
                archive_format=format,
                path=path,
                by=person,
                progress=self._show,
                progress_every=0.5 if self.stderr.isatty() else 5.0,
            )
        except (ArchiveFormatError, ValueError) as error:
            self._end_line()
            raise CommandError(f"Nothing was imported. {error}") from None
        self._end_line()
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
        self.stdout.write(
            f"Imported {run.file_name} ({run.get_format_display()}) into {target}: "
            f"{run.items_read:,} items read in {seconds:,.1f} s."
        )
        skipped = f", {run.skipped:,} skipped (boosts)" if run.skipped else ""
        self.stdout.write(
            f"  {run.new_items:,} new items, {run.new_versions:,} new versions "
            f"(deletions: {run.deletions:,}), {run.unchanged:,} already archived unchanged{skipped}."
        )
        self.stdout.write(f"  File SHA-256 {run.file_sha256}, {_megabytes(run.file_size)}.")
        self.stdout.write(self.style.SUCCESS(f"Import {run.pk} recorded in the audit log."))

    def _account(self, value: str, platform: str | None) -> Account:
        handle = value.lstrip("@")
        query = Q(handle__iexact=handle) | Q(handle__iexact=f"@{handle}")
        accounts = Account.objects.filter(platform=platform) if platform else Account.objects.all()
        matches = list(accounts.filter(query))
        if not matches and value.isdigit():
            matches = list(Account.objects.filter(pk=int(value)))
        if not matches:
            raise CommandError(f"There is no account with the handle or id {value!r}.")
        if len(matches) > 1:
            names = "; ".join(f"{a} (id {a.pk})" for a in matches)
            raise CommandError(f"{value!r} matches several accounts: {names}. Give its id.")
        return matches[0]

    def _show(self, progress: Progress) -> None:
        done = progress.bytes_done
        total = progress.bytes_total
        share = f" {done * 100 // total:3d}%" if total else ""
        line = f"{progress.phase:>8}  {_megabytes(done)} / {_megabytes(total)}{share}"
        if progress.phase != "hashing":
            line += f"  {progress.items:,} items  {progress.items_per_second:,.0f} items/s"
        if self.stderr.isatty():
            self.stderr.write(f"\r{line}\033[K", ending="")
            self._on_line = True
            if progress.finished:
                self._end_line()
        else:
            self.stderr.write(line)

    def _end_line(self) -> None:
        if self._on_line:
            self.stderr.write("")
            self._on_line = False
