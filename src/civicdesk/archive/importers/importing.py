"""Importing an export archive into the archive: all or nothing, in flat memory.

Pass 1 streams the whole archive through its importer and stores nothing, so a truncated or
corrupt file fails, with the file, offset and reason, before anything is written. Pass 2 streams
it again and stores it in batches of ``batch_size`` records inside one transaction, which also
finishes the :class:`ArchiveImport` row and writes the audit event; an error in pass 2 (or files
that changed since pass 1) rolls all of it back. Only one batch of records is ever in memory.

Imported items do not enter the inbox: an archive is history, not something waiting for an
answer. Importing the same archive again writes nothing new, because every record is made from
the file alone and ingestion skips content it already holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import ArchiveImport, ItemVersion
from civicdesk.connectors.base import ItemRecord, Platform
from civicdesk.core import audit

from .base import Archive, ArchiveFormatError, Importer, Meter, ProgressCallback
from .csv_file import CsvFile
from .facebook_dyi import FacebookExport
from .instagram_dyi import InstagramExport
from .mastodon_export import MastodonExport
from .x_archive import XArchive

IMPORTERS: dict[str, type[Importer]] = {
    ArchiveImport.Format.X: XArchive,
    ArchiveImport.Format.MASTODON: MastodonExport,
    ArchiveImport.Format.FACEBOOK: FacebookExport,
    ArchiveImport.Format.INSTAGRAM: InstagramExport,
    ArchiveImport.Format.CSV: CsvFile,
}
# The platform whose accounts each format belongs to; a CSV file can be any account's.
PLATFORMS: dict[str, Platform] = {
    ArchiveImport.Format.X: Platform.X,
    ArchiveImport.Format.MASTODON: Platform.MASTODON,
    ArchiveImport.Format.FACEBOOK: Platform.FACEBOOK,
    ArchiveImport.Format.INSTAGRAM: Platform.INSTAGRAM,
}
BATCH_SIZE = 1000


@dataclass
class _Tally:
    items_read: int = 0
    skipped: int = 0
    new_items: int = 0
    new_versions: int = 0
    unchanged: int = 0
    deletions: int = 0


def import_archive(
    *,
    account: Account,
    archive_format: str,
    path: Path,
    by: User | AnonymousUser | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    progress_every: float = 0.5,
) -> ArchiveImport:
    """Import one export archive of ``account`` and return its finished :class:`ArchiveImport`.

    Raises :class:`ArchiveFormatError` when the archive cannot be read; the import is then
    recorded as failed and the archive holds exactly what it held before. Raises ``ValueError``,
    recording nothing, when the format belongs to another platform than the account's.
    """
    importer_class = IMPORTERS[archive_format]
    platform = PLATFORMS.get(archive_format)
    if platform and account.platform != platform:
        raise ValueError(
            f"{account} is a {account.get_platform_display()} account; "
            f"{importer_class.label} can only be imported into a {Platform(platform).label} account."
        )
    started = timezone.now()
    run = ArchiveImport.objects.create(
        account=account,
        started_by=by if by is not None and by.is_authenticated else None,
        format=archive_format,
        file_name=path.name[:500],
        file_sha256="",
        file_size=0,
        started_at=started,
    )
    try:
        archive = Archive(path)
        importer = importer_class(
            archive, account_handle=account.handle, account_name=account.display_name
        )
        sources = importer.sources()
        hashing = Meter(
            "hashing", bytes_total=archive.size, callback=progress, every=progress_every
        )
        run.file_sha256 = archive.fingerprint(hashing)
        run.file_size = archive.size
        hashing.finish()
        run.save(update_fields=["file_sha256", "file_size"])

        total = sum(member.size for member in sources)
        checking = Meter("checking", bytes_total=total, callback=progress, every=progress_every)
        checked = sum(1 for record in importer.read(checking) if record is not None)
        checking.finish()

        storing = Meter("storing", bytes_total=total, callback=progress, every=progress_every)
        with transaction.atomic():
            tally = _store(importer, storing, account=account, at=started, batch_size=batch_size)
            storing.finish()
            if tally.items_read != checked or not archive.is_unchanged():
                raise ArchiveFormatError(
                    path.name, "changed while it was being imported; nothing was stored"
                )
            _finish(run, tally)
            audit.record(
                "archive.imported",
                target=run,
                by=by,
                account=account.pk,
                format=archive_format,
                file_name=run.file_name,
                file_sha256=run.file_sha256,
                items_read=tally.items_read,
                new_items=tally.new_items,
                new_versions=tally.new_versions,
                deletions=tally.deletions,
            )
    except Exception as error:
        run.status = ArchiveImport.Status.FAILED
        run.error = str(error)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        audit.record(
            "archive.import_failed",
            target=run,
            by=by,
            account=account.pk,
            format=archive_format,
            file_name=run.file_name,
            error=run.error,
        )
        raise
    return run


def _store(
    importer: Importer, meter: Meter, *, account: Account, at: datetime, batch_size: int
) -> _Tally:
    tally = _Tally()
    # Deleted items are stored in batches of their own, so that what they write is countable
    # as deletions.
    live: list[ItemRecord] = []
    gone: list[ItemRecord] = []

    def flush(batch: list[ItemRecord]) -> None:
        if not batch:
            return
        report = store_records(
            account=account, records=batch, source=ItemVersion.Source.IMPORT, observed_at=at
        )
        tally.new_items += len(report.created_item_ids)
        tally.new_versions += report.new_versions
        tally.unchanged += report.unchanged
        if batch is gone:
            tally.deletions += report.new_versions
        batch.clear()

    for record in importer.read(meter):
        if record is None:
            tally.skipped += 1
            continue
        tally.items_read += 1
        batch = gone if record.is_deleted else live
        batch.append(record)
        if len(batch) >= batch_size:
            flush(batch)
    flush(live)
    flush(gone)
    return tally


def _finish(run: ArchiveImport, tally: _Tally) -> None:
    run.status = ArchiveImport.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.items_read = tally.items_read
    run.skipped = tally.skipped
    run.new_items = tally.new_items
    run.new_versions = tally.new_versions
    run.unchanged = tally.unchanged
    run.deletions = tally.deletions
    run.save()
