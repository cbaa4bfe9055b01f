from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import ItemKind, Platform


class Item(models.Model):
    """One post, comment, reply, mention or message on one platform.

    Only ingestion writes items. Its fields are the latest observed state, kept here for fast
    listing; the record itself is the chain of :class:`ItemVersion` rows.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="items")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    platform_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    parent_platform_id = models.CharField(max_length=255, blank=True)
    # The top of the conversation this item belongs to, for showing the thread.
    thread_platform_id = models.CharField(max_length=255, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(
        db_index=True, help_text="When it was posted on the platform."
    )
    first_seen_at = models.DateTimeField()
    last_changed_at = models.DateTimeField()
    is_by_account = models.BooleanField(
        default=False, help_text="Posted by the agency's own account."
    )
    is_deleted = models.BooleanField(default=False)
    version_count = models.PositiveIntegerField(default=0)
    latest_version = models.ForeignKey(
        "ItemVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "platform_id"], name="item_unique_per_account"
            ),
        ]
        indexes = [
            # An item page shows its thread: the replies under one post, oldest first.
            models.Index(
                fields=["account", "thread_platform_id", "created_at"], name="item_thread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.platform_id} on {self.account}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inbox:item", args=[self.pk])


class ItemVersionQuerySet(models.QuerySet["ItemVersion"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableVersion("Item versions are immutable; record a new version instead.")

    def delete(self) -> NoReturn:
        raise ImmutableVersion("Item versions are part of the public record and cannot be deleted.")


class ImmutableVersion(Exception):
    pass


class ItemVersion(models.Model):
    """One observed state of an item: written once, never changed, chained to the one before."""

    class Source(models.TextChoices):
        POLL = "poll", "Platform poll"
        REPLAY = "replay", "Replay"
        WEBHOOK = "webhook", "Webhook"
        STREAM = "stream", "Streaming"
        IMPORT = "import", "Archive import"
        MANUAL = "manual", "Logged by hand"

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="versions")
    seq = models.PositiveIntegerField(help_text="1 for the first capture, then 2, 3, …")
    observed_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    # Canonical JSON, ASCII-escaped, exactly the bytes that were hashed. Text rather than a JSON
    # column: PostgreSQL's jsonb cannot hold a NUL character, and hostile input may contain one.
    content = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    prev_chain_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64, unique=True)
    is_deletion = models.BooleanField(default=False)
    # The platform's own payload, verbatim, for the public record.
    raw = models.TextField(blank=True)

    objects = ItemVersionQuerySet.as_manager()

    class Meta:
        ordering = ["item", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["item", "seq"], name="version_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"v{self.seq} of item {self.item_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableVersion("Item versions are immutable; record a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableVersion("Item versions are part of the public record and cannot be deleted.")

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return str(self.data.get("text", ""))


class ArchiveSeal(models.Model):
    """A seal over every version stored since the seal before it, chained to that seal.

    Seals are made every few minutes by the scheduler (``SEAL_INTERVAL_SECONDS``) or by
    ``civicdesk seal-archive``. Seal ``number`` N covers exactly the versions whose primary key is
    above seal N-1's ``last_version_id`` and at most its own; how ``digest`` is computed is
    documented in :mod:`civicdesk.archive.sealing`. Each digest is also signed and written to the
    anchor file, outside the database.
    """

    number = models.PositiveBigIntegerField(unique=True, help_text="1, 2, 3, … with no gap.")
    # Plain integers rather than foreign keys: a seal must outlive, and so report, a removed version.
    first_version_id = models.PositiveBigIntegerField()
    last_version_id = models.PositiveBigIntegerField(unique=True)
    version_count = models.PositiveIntegerField()
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Seal {self.number}: {self.version_count} versions"


class AnchorDelivery(models.Model):
    """One day's e-mail of the signed anchors to the records officer, claimed once per day."""

    day = models.DateField(unique=True)
    # When the e-mail was last handed to a worker; an unsent one is handed over again an hour on.
    claimed_at = models.DateTimeField()
    first_seal = models.PositiveBigIntegerField(null=True, blank=True)
    last_seal = models.PositiveBigIntegerField(null=True, blank=True)
    sent_to = models.CharField(max_length=254, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Anchors of {self.day}"


class ArchiveImport(models.Model):
    """One run of an archive importer: what was read, by whom, and what it added."""

    class Format(models.TextChoices):
        X = "x", "X / Twitter archive"
        MASTODON = "mastodon", "Mastodon account export"
        FACEBOOK = "facebook", "Facebook “Download your information”"
        INSTAGRAM = "instagram", "Instagram “Download your information”"
        CSV = "csv", "CSV file"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="imports")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=16, choices=Format.choices)
    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(help_text="Bytes.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    items_read = models.PositiveIntegerField(default=0)
    new_items = models.PositiveIntegerField(default=0)
    new_versions = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deletions = models.PositiveIntegerField(default=0)
    # Entries the archive holds that are not the account's items (boosts, for one).
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.file_name} into {self.account}"


class RecheckQuerySet(models.QuerySet["Recheck"]):
    def due(self, now: datetime) -> RecheckQuerySet:
        """Due and not held by a recapture still within its lease."""
        return self.filter(due_at__lte=now).filter(
            models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now)
        )

    def overdue(self, now: datetime) -> RecheckQuerySet:
        return self.filter(deadline__lt=now)


class Recheck(models.Model):
    """When an archived item is next asked for again, to capture edits and deletions.

    One row per item still on its schedule (see :mod:`civicdesk.archive.rechecks`); the row is
    removed once the last scheduled check is done or the item is gone.
    """

    item = models.OneToOneField(
        Item, on_delete=models.CASCADE, primary_key=True, related_name="recheck"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # Copied from the item, so that the schedule needs no join.
    first_seen_at = models.DateTimeField()
    stage = models.PositiveSmallIntegerField(
        default=0, help_text="Index of the next scheduled check in RECHECK_AFTER."
    )
    due_at = models.DateTimeField()
    deadline = models.DateTimeField(help_text="A check later than this is overdue.")
    # Set while a recapture holds the row; if its worker dies, the lease runs out.
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    objects = RecheckQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], name="recheck_due"),
            models.Index(fields=["account", "due_at"], name="recheck_account_due"),
            models.Index(fields=["account", "deadline"], name="recheck_account_deadline"),
            models.Index(fields=["claim"], name="recheck_claim"),
        ]

    def __str__(self) -> str:
        return f"re-check of item {self.item_id} due {self.due_at:%Y-%m-%d %H:%M}"


class RecaptureSpend(models.Model):
    """API calls one account's recapture spent in one budget window, and what it did with them."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)
    items_checked = models.PositiveIntegerField(default=0)
    items_deferred = models.PositiveIntegerField(default=0)
    late_checks = models.PositiveIntegerField(
        default=0, help_text="Checks done after their deadline."
    )
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account", "-window_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "window_start"], name="recapture_one_row_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.calls} calls from {self.window_start:%Y-%m-%d %H:%M}"
