"""civicdesk train: rebuild the triage model artifacts from the labelled data sets."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.training.corpora import DEFAULT_DATA_DIR
from civicdesk.triage.signals import LEARNED


class Command(BaseCommand):
    help = "Train the triage models from the data directory and write the artifacts shipped with the app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data",
            type=Path,
            default=DEFAULT_DATA_DIR,
            help=f"data directory (default {DEFAULT_DATA_DIR})",
        )
        parser.add_argument("--signal", choices=LEARNED, help="train only this signal")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--with-feedback",
            action="store_true",
            help="add the corrections staff made in the inbox (stored as labels) to the training data",
        )
        # The hook for staff corrections: a list, passed by code (call_command), never typed in.
        parser.add_argument("--feedback", default=None, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["data"].is_dir():
            raise CommandError(
                f"Training data not found at {options['data']}. Pass --data DIR or set "
                "CIVICDESK_TRAINING_DATA to the folder of labelled data sets (tweeteval_*, "
                "jigsaw_subset, suicidal_intent, …); the shipped models need no training data."
            )
        try:
            from civicdesk.training.heads import train
        except ImportError as error:
            raise CommandError(
                f"Training needs the triage-train extra: pip install 'civicdesk[triage-train]' ({error})."
            ) from error
        # Rows passed by code (call_command(..., feedback=[...])) win over the stored corrections.
        feedback = options.get("feedback")
        if feedback is not None and not isinstance(feedback, list | tuple):
            raise CommandError("feedback must be a list of (text, signal, label) rows.")
        if options["with_feedback"] and feedback is None:
            from civicdesk.triage.feedback import feedback_labels

            feedback = feedback_labels()
            self.stderr.write(f"Adding {len(feedback)} corrections made by staff.")
        report = train(
            options["data"], signal=options["signal"], seed=options["seed"], feedback=feedback or ()
        )
        for signal, per_set in report.items():
            self.stdout.write(f"{signal}: {json.dumps(per_set)}")
