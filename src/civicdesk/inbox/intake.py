"""Which archived items land in the inbox."""

from __future__ import annotations

from collections.abc import Iterable

from civicdesk.archive.models import Item

from .models import Entry


def receive(*, items: Iterable[Item]) -> int:
    """Put newly archived items from the public into the inbox; returns how many.

    Takes the items ingestion has just created, with their accounts. The agency's own posts
    are archived but need no answer. Safe to call twice: an item already in the inbox is
    skipped by the one-to-one constraint.
    """
    entries = [
        Entry(
            item=item,
            account_id=item.account_id,
            unit_id=item.account.unit_id,
            platform=item.platform,
            received_at=item.created_at,
        )
        for item in items
        if not item.is_by_account
    ]
    Entry.objects.bulk_create(entries, batch_size=500, ignore_conflicts=True)
    return len(entries)
