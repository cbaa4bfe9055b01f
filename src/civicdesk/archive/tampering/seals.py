"""Tampering with seals and anchor files, and what no check can find."""

from __future__ import annotations

import json

from django.db.models import Max

from ..models import ArchiveSeal, ItemVersion
from .registry import FORGED, tampering
from .scene import Scene

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
