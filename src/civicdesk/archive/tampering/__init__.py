"""Tampering with a copy of the archive, every way on record, to show ``verify-archive`` finds it.

``run_tamperings()`` takes the database and anchor files as they are (an archive with seals and
an anchor file), keeps a copy of the anchor file and public key as the records officer would,
and then applies each tampering inside a transaction that is rolled back, to fresh copies of
the anchor file and key, running ``verify_archive`` against the officer's copies each time.
The database and files are left as they were found.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import DatabaseError, transaction
from django.test import override_settings

from ..anchoring import anchor_file, anchor_pending_seals, signing_key
from ..verify import verify_archive
from . import columns, seals, versions  # noqa: F401  (each module registers its cases)
from .registry import DETECTABLE, UNDETECTABLE, Tampering
from .scene import Scene

__all__ = ["DETECTABLE", "UNDETECTABLE", "Tampering", "TamperingResult", "run_tamperings"]


@dataclass
class TamperingResult:
    tampering: Tampering
    outcome: str  # "found", "missed" or "not applicable"
    first_problem: str = ""

    @property
    def is_found(self) -> bool:
        return self.outcome == "found"


class ArchiveNotIntact(Exception):
    pass


def run_tamperings(*, cases: Sequence[Tampering] = tuple(DETECTABLE)) -> list[TamperingResult]:
    """Apply each tampering to a copy and report whether ``verify_archive`` found it.

    Raises ArchiveNotIntact if the archive does not verify before any tampering.
    """
    anchor_pending_seals()  # a seal made just before a kill may not be anchored yet
    officer_key = signing_key().public_key()
    with tempfile.TemporaryDirectory(prefix="civicdesk-tampering-") as folder:
        work = Path(folder)
        offsite = work / "anchors-kept-elsewhere.jsonl"
        if anchor_file().exists():
            shutil.copyfile(anchor_file(), offsite)
        else:
            offsite.write_text("")
        baseline = verify_archive(anchors=[offsite], public_key=officer_key)
        if not baseline.is_intact:
            problems = "; ".join(str(p) for p in baseline.problems[:5])
            raise ArchiveNotIntact(f"The archive does not verify before tampering: {problems}")
        return [
            _run_one(case, work=work, offsite=offsite, officer_key=officer_key) for case in cases
        ]


def _run_one(
    case: Tampering, *, work: Path, offsite: Path, officer_key: Ed25519PublicKey
) -> TamperingResult:
    folder = work / case.name
    folder.mkdir()
    anchors, key = folder / "anchors.jsonl", folder / "anchor_key"
    if anchor_file().exists():
        shutil.copyfile(anchor_file(), anchors)
    shutil.copyfile(settings.ANCHOR_KEY_FILE, key)
    try:
        with override_settings(ANCHOR_FILE=anchors, ANCHOR_KEY_FILE=key), transaction.atomic():
            scene = Scene(anchor_file=anchors, key_file=key)
            scene.lift_guards()
            applied = case.apply(scene)
            report = verify_archive(anchors=[offsite], public_key=officer_key) if applied else None
            transaction.set_rollback(True)
    except DatabaseError as exc:
        # The database refused the change itself (a constraint this archive's data trips).
        return TamperingResult(case, "not applicable", f"the database refused it: {exc}")
    if report is None:
        return TamperingResult(case, "not applicable")
    if report.is_intact:
        return TamperingResult(case, "missed")
    return TamperingResult(case, "found", str(report.problems[0]))
