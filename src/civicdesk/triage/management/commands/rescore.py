from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Exists, OuterRef
from django.template.defaultfilters import pluralize

from civicdesk.archive.models import Item
from civicdesk.triage.assess import assess_versions
from civicdesk.triage.models import Assessment
from civicdesk.triage.scoring import load_triage


class Command(BaseCommand):
    help = "Triage again every inbox item whose latest version the current model has not assessed."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="Versions per batch.")

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        model_version = load_triage().model_version
        assessed = Assessment.objects.filter(
            version=OuterRef("latest_version"), model_version=model_version
        )
        version_ids = list(
            Item.objects.filter(inbox_entry__isnull=False, is_deleted=False)
            .exclude(Exists(assessed))
            .values_list("latest_version_id", flat=True)
        )
        total = {"scored": 0, "failed": 0}
        for start in range(0, len(version_ids), batch):
            counts = assess_versions(version_ids=version_ids[start : start + batch])
            total = {k: total[k] + counts[k] for k in total}
            self.stderr.write(
                f"\r{min(start + batch, len(version_ids)):,} of {len(version_ids):,} items",
                ending="",
            )
        if version_ids:
            self.stderr.write("")
        scored, failed = total["scored"], total["failed"]
        self.stdout.write(
            f"Triaged {scored:,} item{pluralize(scored)} with model {model_version[:32]}; "
            f"{failed:,} could not be triaged."
        )
