"""Checking the chain of seals, and the database against the anchors kept outside it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db.models import Min

from .anchoring import Anchor, AnchorError, anchor_file, key_id, read_anchors, signing_key
from .hashing import GENESIS
from .models import ArchiveSeal, ItemVersion
from .sealing import SealDigest, versions_by_pk
from .verify import AnchorFileReport, VerifyReport

LISTED = 20


def check_seals(report: VerifyReport, *, batch_size: int) -> dict[int, str]:
    """Recompute every seal from the versions it covers; returns each seal number's digest."""
    digests: dict[int, str] = {}
    versions = versions_by_pk(after=0, batch_size=batch_size)
    pending = next(versions, None)
    previous: ArchiveSeal | None = None
    for seal in ArchiveSeal.objects.order_by("number").iterator(chunk_size=500):
        report.seals += 1
        digests[seal.number] = seal.digest
        where = f"seal {seal.number} (made {seal.sealed_at:%Y-%m-%d %H:%M} UTC)"
        expected = previous.number + 1 if previous else 1
        if seal.number != expected:
            missing = (
                f"{expected}" if seal.number == expected + 1 else f"{expected}–{seal.number - 1}"
            )
            report.add(where, f"seal {missing} before it was removed: the chain of seals is broken")
        if seal.prev_digest != (previous.digest if previous else GENESIS):
            report.add(where, "does not link to the seal before it: a seal was removed or altered")
        lower = previous.last_version_id if previous else 0
        digest = SealDigest(number=seal.number, prev_digest=seal.prev_digest)
        while pending is not None and pending.pk <= seal.last_version_id:
            if pending.pk > lower:
                digest.add(pending)
            pending = next(versions, None)
        report.sealed_versions += digest.count
        recomputed = digest.hexdigest(
            last_version_id=seal.last_version_id, version_count=digest.count
        )
        if digest.count != seal.version_count:
            report.add(
                where,
                f"sealed {seal.version_count} versions, the archive now holds {digest.count} "
                "in its range: versions or whole items were removed or added",
            )
        elif recomputed != seal.digest:
            report.add(
                where,
                "the versions it sealed no longer match it: a version, its raw payload, or the "
                "item it belongs to was altered, or the seal itself was",
            )
        previous = seal
    while pending is not None:
        report.unsealed_versions += 1
        pending = next(versions, None)
    if report.unsealed_versions:
        report.unsealed_since = ItemVersion.objects.filter(
            pk__gt=previous.last_version_id if previous else 0
        ).aggregate(since=Min("observed_at"))["since"]
    return digests


def _when(stamp: object) -> str:
    try:
        return datetime.fromisoformat(str(stamp)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(stamp)


def _anchor_key(public_key: Ed25519PublicKey | None) -> Ed25519PublicKey | None:
    if public_key is not None:
        return public_key
    if not Path(settings.ANCHOR_KEY_FILE).exists():
        return None
    return signing_key().public_key()


def _check_anchor_file(
    report: VerifyReport,
    *,
    path: Path,
    key: Ed25519PublicKey,
    seal_digests: dict[int, str],
    local: dict[int, str] | None,
) -> dict[int, str]:
    """Check one anchor file; ``local`` is what the server's own file anchored (None: this is it)."""
    result = AnchorFileReport(path=path, key_id=key_id(key))
    report.anchor_files.append(result)
    anchored: dict[int, str] = {}
    for entry in read_anchors(path):
        if not isinstance(entry, Anchor):
            report.add(f"{path} line {entry}", "cannot be read: the line was altered or cut short")
            continue
        result.anchors += 1
        where = f"anchor of seal {entry.seal} ({path.name} line {entry.line_number})"
        if not entry.is_signed_by(key):
            report.add(
                where,
                "its signature does not match the public key: the line was altered or signed "
                "with another key",
            )
        if anchored.get(entry.seal, entry.digest) != entry.digest:
            report.add(where, "the same seal was anchored before with a different digest")
        anchored[entry.seal] = entry.digest
        in_database = seal_digests.get(entry.seal)
        if in_database is None:
            report.add(
                where,
                f"seal {entry.seal}, made {_when(entry.fields.get('sealed_at'))}, is missing "
                "from the database: it was removed",
            )
        elif in_database != entry.digest:
            report.add(
                where,
                "the database's seal no longer matches its anchor: the seal or the versions it "
                "covers were altered",
            )
        if local is not None and local.get(entry.seal) != entry.digest:
            report.add(
                where,
                f"the server's anchor file {anchor_file()} has lost or changed this line, which "
                "the copy kept elsewhere still holds",
            )
    if local is not None:
        return anchored
    newest = max(anchored, default=0)
    gaps = [n for n in seal_digests if n not in anchored and n < newest]
    for number in gaps[:LISTED]:
        report.add(f"seal {number}", f"has no line in the anchor file {path}: lines were removed")
    if len(gaps) > LISTED:
        report.add(f"anchor file {path}", f"{len(gaps) - LISTED} more seals have no line in it")
    waiting = sum(1 for n in seal_digests if n > newest)
    if waiting:
        report.notes.append(
            f"The {waiting} newest seals are not in the anchor file yet; the next seal run "
            "anchors them."
        )
    return anchored


def check_anchor_files(
    report: VerifyReport,
    *,
    seal_digests: dict[int, str],
    extra: Sequence[Path],
    public_key: Ed25519PublicKey | None,
) -> None:
    """Check the local anchor file and every copy kept elsewhere."""
    try:
        key = _anchor_key(public_key)
    except AnchorError as exc:
        report.add("anchor key", str(exc))
        return
    local = anchor_file()
    files: list[tuple[Path, bool]] = []
    if local.exists():
        files.append((local, True))
    elif seal_digests:
        report.add(
            f"anchor file {local}",
            "is missing: the seals have no copy outside the database to be checked against",
        )
    for path in extra:
        if not path.is_file():
            report.add(f"anchor file {path}", "cannot be read")
            continue
        if path.resolve() != local.resolve():
            files.append((path, False))
    if key is None and not seal_digests and all(p.stat().st_size == 0 for p, _ in files):
        return  # nothing sealed or anchored yet, so no key was ever needed
    if files and key is None:
        report.add(
            "anchor key",
            f"{settings.ANCHOR_KEY_FILE} is missing, so no anchor signature can be checked; "
            "give the records officer's copy of the public key with --public-key",
        )
        return
    local_anchored: dict[int, str] | None = None
    for path, is_local in files:
        assert key is not None
        anchored = _check_anchor_file(
            report,
            path=path,
            key=key,
            seal_digests=seal_digests,
            local=None if is_local else (local_anchored or {}),
        )
        if is_local:
            local_anchored = anchored
