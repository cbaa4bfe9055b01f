"""The tamperings ``verify-archive`` must find, and the few it cannot, with the reason why.

Each case changes the archive as someone with full access to the server could, and returns
False when the archive holds nothing it could be applied to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db.models import Max

from ..anchoring import signing_key
from ..models import ArchiveSeal, Item, ItemVersion
from .scene import Scene

FORGED = "This was never posted."


@dataclass(frozen=True)
class Tampering:
    name: str
    what: str
    apply: Callable[[Scene], bool]
    # Set on a tampering no check can find; says why, and how long the window is.
    undetectable_because: str = ""


DETECTABLE: list[Tampering] = []
UNDETECTABLE: list[Tampering] = []


def tampering(name: str, what: str, *, undetectable_because: str = "") -> Callable[..., object]:
    def register(apply: Callable[[Scene], bool]) -> Callable[[Scene], bool]:
        case = Tampering(name, what, apply, undetectable_because)
        (UNDETECTABLE if undetectable_because else DETECTABLE).append(case)
        return apply

    return register


def _version(scene: Scene, *, min_versions: int = 2, index: int = 0) -> dict[str, Any] | None:
    item_id = scene.sealed_item(min_versions=min_versions)
    return scene.versions(item_id)[index] if item_id else None


# Versions ------------------------------------------------------------------------------------


@tampering("alter-text", "Change a sealed version's words, leaving its hashes.")
def _alter_text(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=1)) is None:
        return False
    scene.rewrite_text(version["pk"], FORGED, rehash=False)
    return True


@tampering("alter-text-and-content-hash", "Change a version's words and its content hash.")
def _alter_text_rehash(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=1)) is None:
        return False
    scene.rewrite_text(version["pk"], FORGED, rehash=True)
    return True


@tampering(
    "alter-text-and-every-chain-hash",
    "Change a version's words and recompute its item's content and chain hashes and columns.",
)
def _alter_text_rechain(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=1)) is None:
        return False
    scene.rewrite_text(version["pk"], FORGED, rehash=True)
    scene.rechain(version["item_id"])
    scene.sync_item(version["item_id"])
    return True


@tampering(
    "alter-text-and-recompute-seals",
    "Change a version's words, recompute every hash and every seal in the database.",
)
def _alter_text_reseal(scene: Scene) -> bool:
    if not _alter_text_rechain(scene):
        return False
    scene.reseal()
    return True


@tampering(
    "alter-text-and-resign-with-the-servers-key",
    "As above, and re-sign the server's anchor file with the key found on the server.",
)
def _alter_text_resign(scene: Scene) -> bool:
    if not _alter_text_reseal(scene):
        return False
    scene.resign(signing_key())
    return True


@tampering(
    "alter-text-and-resign-with-a-new-key",
    "As above, but with a new key of the forger's own, replacing the server's key file.",
)
def _alter_text_new_key(scene: Scene) -> bool:
    if not _alter_text_reseal(scene):
        return False
    key = Ed25519PrivateKey.generate()
    scene.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    scene.resign(key)
    return True


@tampering("alter-observed-at", "Move a sealed version's time of observation by an hour.")
def _alter_observed_at(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=1)) is None:
        return False
    moved = scene.stamp(version["observed_at"] - timedelta(hours=1))
    scene.sql(
        "UPDATE archive_itemversion SET observed_at = %s WHERE id = %s", [moved, version["pk"]]
    )
    return True


@tampering("alter-raw-payload", "Change the platform's raw payload kept with a sealed version.")
def _alter_raw(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=1)) is None:
        return False
    raw = json.dumps({"message": FORGED})
    scene.sql("UPDATE archive_itemversion SET raw = %s WHERE id = %s", [raw, version["pk"]])
    return True


@tampering("alter-source", "Say a sealed version came from another source than it did.")
def _alter_source(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=1)) is None:
        return False
    source = "manual" if version["source"] != "manual" else "poll"
    scene.sql("UPDATE archive_itemversion SET source = %s WHERE id = %s", [source, version["pk"]])
    return True


@tampering("flip-deletion-mark", "Mark a sealed version as a deletion without changing it.")
def _flip_deletion_mark(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=1)) is None:
        return False
    scene.sql(
        "UPDATE archive_itemversion SET is_deletion = NOT is_deletion WHERE id = %s",
        [version["pk"]],
    )
    return True


@tampering("delete-middle-version", "Delete a version between two others of the same item.")
def _delete_middle(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=3, index=1)) is None:
        return False
    scene.sql("DELETE FROM archive_itemversion WHERE id = %s", [version["pk"]])
    return True


@tampering(
    "delete-latest-version-and-fix-columns",
    "Delete an item's latest sealed version and set its columns to the one before.",
)
def _delete_latest(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=2, index=-1)) is None:
        return False
    scene.sql(
        "UPDATE archive_item SET latest_version_id = NULL WHERE id = %s", [version["item_id"]]
    )
    scene.sql("DELETE FROM archive_itemversion WHERE id = %s", [version["pk"]])
    scene.sync_item(version["item_id"])
    return True


@tampering(
    "rewrite-latest-version-with-fresh-hashes",
    "Rewrite an item's latest sealed version, recomputing its hashes and the item's columns.",
)
def _rewrite_latest(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=2, index=-1)) is None:
        return False
    scene.rewrite_text(version["pk"], FORGED, rehash=True)
    scene.rechain(version["item_id"])
    scene.sync_item(version["item_id"])
    return True


@tampering("reorder-versions", "Swap the order of an item's first two versions.")
def _reorder(scene: Scene) -> bool:
    item_id = scene.sealed_item(min_versions=2)
    if item_id is None:
        return False
    first, second = scene.versions(item_id)[:2]
    scene.sql("UPDATE archive_itemversion SET seq = 0 WHERE id = %s", [first["pk"]])
    scene.sql("UPDATE archive_itemversion SET seq = 1 WHERE id = %s", [second["pk"]])
    scene.sql("UPDATE archive_itemversion SET seq = 2 WHERE id = %s", [first["pk"]])
    return True


@tampering("swap-two-items-versions", "Give two items each other's latest version.")
def _swap_items(scene: Scene) -> bool:
    one, other = scene.sealed_item(), scene.sealed_item(skip=1)
    if one is None or other is None:
        return False
    a, b = scene.versions(one)[-1], scene.versions(other)[-1]
    scene.sql("UPDATE archive_itemversion SET seq = 0 WHERE id IN (%s, %s)", [a["pk"], b["pk"]])
    scene.sql(
        "UPDATE archive_itemversion SET item_id = %s, seq = %s WHERE id = %s",
        [other, b["seq"], a["pk"]],
    )
    scene.sql(
        "UPDATE archive_itemversion SET item_id = %s, seq = %s WHERE id = %s",
        [one, a["seq"], b["pk"]],
    )
    scene.sql("UPDATE archive_item SET latest_version_id = %s WHERE id = %s", [b["pk"], one])
    scene.sql("UPDATE archive_item SET latest_version_id = %s WHERE id = %s", [a["pk"], other])
    return True


@tampering(
    "forged-edit-in-open-period",
    "Append a forged edit with correct hashes after the last seal, leaving the item's columns.",
)
def _forged_edit_columns_left(scene: Scene) -> bool:
    item_id = scene.spanning_item() or scene.sealed_item()
    if item_id is None:
        return False
    scene.append_forged_version(item_id, FORGED)
    return True


# Whole items ---------------------------------------------------------------------------------


@tampering("delete-sealed-item", "Delete a sealed item with all its versions.")
def _delete_sealed_item(scene: Scene) -> bool:
    if (item_id := scene.sealed_item()) is None:
        return False
    scene.remove_item(item_id)
    return True


@tampering(
    "delete-item-edited-in-open-period",
    "Delete an item with all its versions, sealed ones and those made after the last seal.",
)
def _delete_spanning_item(scene: Scene) -> bool:
    if (item_id := scene.spanning_item()) is None:
        return False
    scene.remove_item(item_id)
    return True


@tampering("delete-item-keep-versions", "Delete an item's row, leaving its versions.")
def _delete_item_row(scene: Scene) -> bool:
    if (item_id := scene.sealed_item()) is None:
        return False
    scene.sql("DELETE FROM archive_item WHERE id = %s", [item_id])
    return True


@tampering("move-item-to-other-account", "Move a sealed item to another account.")
def _move_item(scene: Scene) -> bool:
    from civicdesk.accounts.models import Account

    if (item_id := scene.sealed_item()) is None:
        return False
    item = Item.objects.get(pk=item_id)
    other = Account.objects.exclude(pk=item.account_id).order_by("pk").first()
    if other is None:
        return False
    scene.sql("UPDATE archive_item SET account_id = %s WHERE id = %s", [other.pk, item_id])
    return True


# The item's listing columns ------------------------------------------------------------------


def _set_column(column: str, value: object, **filters: object) -> Callable[[Scene], bool]:
    def apply(scene: Scene) -> bool:
        if (item_id := scene.sealed_item(**filters)) is None:
            return False
        scene.sql(f"UPDATE archive_item SET {column} = %s WHERE id = %s", [value, item_id])  # noqa: S608
        return True

    return apply


def _older_latest(scene: Scene) -> bool:
    if (version := _version(scene, min_versions=2, index=0)) is None:
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


# Seals and anchors ---------------------------------------------------------------------------


def _seal(scene: Scene, *, newest: bool) -> ArchiveSeal | None:
    seals = ArchiveSeal.objects.order_by("-number" if newest else "number")
    return seals[0] if newest else seals.filter(number__gt=1).first()


@tampering("delete-seal", "Delete a seal from the middle of the chain.")
def _delete_seal(scene: Scene) -> bool:
    if (seal := _seal(scene, newest=False)) is None:
        return False
    scene.sql("DELETE FROM archive_archiveseal WHERE id = %s", [seal.pk])
    return True


@tampering("delete-newest-seal", "Delete the newest seal, so its versions look unsealed.")
def _delete_newest_seal(scene: Scene) -> bool:
    if (seal := _seal(scene, newest=True)) is None:
        return False
    scene.sql("DELETE FROM archive_archiveseal WHERE id = %s", [seal.pk])
    return True


@tampering(
    "delete-newest-seal-then-an-item-and-anchor-lines",
    "Delete the newest seal, then an item it sealed, and the anchor file's last line to match.",
)
def _delete_seal_then_item(scene: Scene) -> bool:
    seal = _seal(scene, newest=True)
    if seal is None:
        return False
    before = ArchiveSeal.objects.filter(number__lt=seal.number).order_by("-number").first()
    lower = before.last_version_id if before else 0
    item_id = (
        scene.spans()
        .filter(low__gt=lower, high__lte=seal.last_version_id)
        .values_list("pk", flat=True)
        .order_by("pk")
        .first()
    )
    if item_id is None:
        return False
    scene.sql("DELETE FROM archive_archiveseal WHERE id = %s", [seal.pk])
    scene.remove_item(item_id)
    scene.write_anchor_lines(scene.anchor_lines()[:-1])
    return True


@tampering("alter-seal-digest", "Change a seal's digest.")
def _alter_seal_digest(scene: Scene) -> bool:
    if (seal := _seal(scene, newest=False)) is None:
        return False
    scene.sql("UPDATE archive_archiveseal SET digest = %s WHERE id = %s", ["f" * 64, seal.pk])
    return True


@tampering("alter-seal-count", "Change how many versions a seal says it covers.")
def _alter_seal_count(scene: Scene) -> bool:
    if (seal := _seal(scene, newest=False)) is None:
        return False
    scene.sql(
        "UPDATE archive_archiveseal SET version_count = version_count - 1 WHERE id = %s", [seal.pk]
    )
    return True


@tampering("truncate-anchor-file", "Empty the server's anchor file.")
def _truncate_anchors(scene: Scene) -> bool:
    scene.write_anchor_lines([])
    return True


@tampering("delete-last-anchor-lines", "Delete the anchor file's last lines.")
def _delete_last_anchors(scene: Scene) -> bool:
    lines = scene.anchor_lines()
    scene.write_anchor_lines(lines[: max(0, len(lines) - 2)])
    return bool(lines)


@tampering("delete-anchor-line-in-the-middle", "Delete a line from the middle of the anchor file.")
def _delete_middle_anchor(scene: Scene) -> bool:
    lines = scene.anchor_lines()
    if len(lines) < 3:
        return False
    scene.write_anchor_lines(lines[:1] + lines[2:])
    return True


@tampering("alter-anchor-line", "Change the digest written in an anchor line.")
def _alter_anchor(scene: Scene) -> bool:
    lines = scene.anchor_lines()
    if not lines:
        return False
    fields = json.loads(lines[0])
    fields["digest"] = "0" * 64
    lines[0] = json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n"
    scene.write_anchor_lines(lines)
    return True


# What no check can find ----------------------------------------------------------------------

WINDOW = (
    "nothing outside the database has seen versions stored after the last seal, so a change "
    "made to them before the next seal, with the item's columns kept in line, is "
    "indistinguishable from ingestion; the next seal then seals it. The window is the seal "
    "interval (CIVICDESK_SEAL_INTERVAL_SECONDS, a few minutes)."
)


@tampering(
    "forged-edit-after-last-seal-with-columns",
    "Append a forged edit after the last seal and set the item's columns to match it.",
    undetectable_because=WINDOW,
)
def _forged_edit_careful(scene: Scene) -> bool:
    item_id = scene.spanning_item() or scene.sealed_item()
    if item_id is None:
        return False
    scene.append_forged_version(item_id, FORGED)
    scene.sync_item(item_id)
    return True


@tampering(
    "delete-item-first-seen-after-last-seal",
    "Delete an item whose every version was stored after the last seal.",
    undetectable_because=WINDOW,
)
def _delete_open_item(scene: Scene) -> bool:
    if (item_id := scene.open_item()) is None:
        return False
    scene.remove_item(item_id)
    return True


@tampering(
    "rewrite-unsealed-latest-version-with-columns",
    "Rewrite a version stored after the last seal, with fresh hashes and matching columns.",
    undetectable_because=WINDOW,
)
def _rewrite_open_latest(scene: Scene) -> bool:
    item_id = scene.open_item()
    if item_id is None:
        return False
    latest = ItemVersion.objects.filter(item_id=item_id).aggregate(pk=Max("pk"))["pk"]
    scene.rewrite_text(latest, FORGED, rehash=True)
    scene.rechain(item_id)
    scene.sync_item(item_id)
    return True
