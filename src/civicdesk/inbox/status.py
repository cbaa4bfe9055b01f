"""Moving an inbox entry along: new → in progress → done (and back)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from civicdesk.core import audit

from .models import Entry


@transaction.atomic
def change_status(
    *, entry: Entry, status: str, by: User, request: HttpRequest | None = None
) -> bool:
    """Set the entry's status and log who did it; returns False if it already had that status."""
    if status not in Entry.Status.values:
        raise ValueError(f"Unknown inbox status {status!r}.")
    previous = entry.status
    if previous == status:
        return False
    entry.status = status
    entry.status_changed_at = timezone.now()
    if status == Entry.Status.IN_PROGRESS and entry.assignee_id is None:
        entry.assignee = by
    entry.save(update_fields=["status", "status_changed_at", "assignee"])
    audit.record(
        "inbox.status_changed",
        target=entry.item,
        by=by,
        request=request,
        **{"from": previous, "to": status},
    )
    return True
