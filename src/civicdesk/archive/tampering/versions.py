"""Tampering with versions and whole items."""

from __future__ import annotations

import json
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..anchoring import signing_key
from ..models import Item
from .registry import FORGED, sealed_version, tampering
from .scene import Scene

# Versions ------------------------------------------------------------------------------------


@tampering("alter-text", "Change a sealed version's words, leaving its hashes.")
def _alter_text(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=1)) is None:
        return False
    scene.rewrite_text(version["pk"], FORGED, rehash=False)
    return True


@tampering("alter-text-and-content-hash", "Change a version's words and its content hash.")
def _alter_text_rehash(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=1)) is None:
        return False
    scene.rewrite_text(version["pk"], FORGED, rehash=True)
    return True


@tampering(
    "alter-text-and-every-chain-hash",
    "Change a version's words and recompute its item's content and chain hashes and columns.",
)
def _alter_text_rechain(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=1)) is None:
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
    if (version := sealed_version(scene, min_versions=1)) is None:
        return False
    moved = scene.stamp(version["observed_at"] - timedelta(hours=1))
    scene.sql(
        "UPDATE archive_itemversion SET observed_at = %s WHERE id = %s", [moved, version["pk"]]
    )
    return True


@tampering("alter-raw-payload", "Change the platform's raw payload kept with a sealed version.")
def _alter_raw(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=1)) is None:
        return False
    raw = json.dumps({"message": FORGED})
    scene.sql("UPDATE archive_itemversion SET raw = %s WHERE id = %s", [raw, version["pk"]])
    return True


@tampering("alter-source", "Say a sealed version came from another source than it did.")
def _alter_source(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=1)) is None:
        return False
    source = "manual" if version["source"] != "manual" else "poll"
    scene.sql("UPDATE archive_itemversion SET source = %s WHERE id = %s", [source, version["pk"]])
    return True


@tampering("flip-deletion-mark", "Mark a sealed version as a deletion without changing it.")
def _flip_deletion_mark(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=1)) is None:
        return False
    scene.sql(
        "UPDATE archive_itemversion SET is_deletion = NOT is_deletion WHERE id = %s",
        [version["pk"]],
    )
    return True


@tampering("delete-middle-version", "Delete a version between two others of the same item.")
def _delete_middle(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=3, index=1)) is None:
        return False
    scene.sql("DELETE FROM archive_itemversion WHERE id = %s", [version["pk"]])
    return True


@tampering(
    "delete-latest-version-and-fix-columns",
    "Delete an item's latest sealed version and set its columns to the one before.",
)
def _delete_latest(scene: Scene) -> bool:
    if (version := sealed_version(scene, min_versions=2, index=-1)) is None:
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
    if (version := sealed_version(scene, min_versions=2, index=-1)) is None:
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
