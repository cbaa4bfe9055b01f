"""Tampering with the columns the pages show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ..models import Item
from .registry import sealed_version, tampering
from .scene import Scene

# The item's listing columns ------------------------------------------------------------------


def _set_column(column: str, value: object, **filters: Any) -> Callable[[Scene], bool]:
    def apply(scene: Scene) -> bool:
        if (item_id := scene.sealed_item(**filters)) is None:
            return False
        scene.sql(f"UPDATE archive_item SET {column} = %s WHERE id = %s", [value, item_id])  # noqa: S608
        return True

    return apply


def _older_latest(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=2, index=0)) is None:
        return False
    scene.sql(
        "UPDATE archive_item SET latest_version_id = %s WHERE id = %s",
        [version["pk"], version["item_id"]],
    )
    return True


def _shift_time(column: str) -> Callable[[Scene], bool]:
    def apply(scene: Scene) -> bool:
        if (item_id := scene.sealed_item()) is None:
            return False
        value = Item.objects.values_list(column, flat=True).get(pk=item_id)
        moved = scene.stamp(value - timedelta(days=1))
        scene.sql(f"UPDATE archive_item SET {column} = %s WHERE id = %s", [moved, item_id])  # noqa: S608
        return True

    return apply


for _name, _what, _apply in [
    (
        "latest-version-points-to-older",
        "Point an item's latest version at an older one.",
        _older_latest,
    ),
    (
        "mark-live-item-deleted",
        "Mark a live item as deleted.",
        _set_column("is_deleted", True, is_deleted=False),
    ),
    (
        "mark-deleted-item-live",
        "Mark a deleted item as live again.",
        _set_column("is_deleted", False, is_deleted=True),
    ),
    (
        "change-author-name",
        "Change the author's name the pages show.",
        _set_column("author_name", "Someone Else"),
    ),
    (
        "change-author-handle",
        "Change the author's handle the pages show.",
        _set_column("author_handle", "someone_else"),
    ),
    ("change-language", "Change an item's language.", _set_column("language", "xx")),
    (
        "change-version-count",
        "Change how many versions an item says it has.",
        _set_column("version_count", 99),
    ),
    (
        "change-url",
        "Point an item's link elsewhere.",
        _set_column("url", "https://example.com/forged"),
    ),
    (
        "change-platform-id",
        "Change an item's platform id.",
        _set_column("platform_id", "forged-id"),
    ),
    (
        "change-kind",
        "Turn a comment into a post, or anything into a message.",
        _set_column("kind", "message"),
    ),
    (
        "change-by-account-mark",
        "Flip whether an item was posted by the account.",
        _set_column("is_by_account", True, is_by_account=False),
    ),
    ("change-time-posted", "Move the time an item says it was posted.", _shift_time("created_at")),
    (
        "change-time-last-changed",
        "Move the time an item says it last changed.",
        _shift_time("last_changed_at"),
    ),
]:
    tampering(_name, _what)(_apply)
