from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from civicdesk.archive.anchoring import anchor_file
from civicdesk.archive.sealing import seal_archive


class Command(BaseCommand):
    help = "Seal every archived version not sealed yet, and sign the seals into the anchor file."

    def handle(self, *args: Any, **options: Any) -> None:
        seals = seal_archive()
        if not seals:
            self.stdout.write("Nothing to seal: every archived version is sealed already.")
            return
        versions = sum(seal.version_count for seal in seals)
        numbers = (
            f"{seals[0].number}" if len(seals) == 1 else f"{seals[0].number}–{seals[-1].number}"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Sealed {versions:,} versions in seal {numbers}, signed into {anchor_file()}."
            )
        )
