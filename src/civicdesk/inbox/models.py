from __future__ import annotations

from django.conf import settings
from django.db import models

from civicdesk.accounts.models import Account
from civicdesk.archive.models import Item
from civicdesk.core.models import Unit


class Entry(models.Model):
    """An incoming item waiting for staff: its place in the inbox and how far it has got."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="inbox_entry")
    # Copied from the item so the inbox lists without joining through accounts and units.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    platform = models.CharField(max_length=16)
    received_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "status", "-received_at"]),
            models.Index(fields=["status", "-received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.item}"
