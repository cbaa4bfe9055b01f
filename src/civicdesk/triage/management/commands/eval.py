"""civicdesk eval SIGNAL FILE: score a labelled CSV with the shipped model and print one JSON object."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.triage.evaluation import EvaluationError, evaluate_file


class Command(BaseCommand):
    help = "Score FILE (CSV with header text,label) for SIGNAL with the shipped model and print metrics as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "signal",
            help="threat, self_harm, harassment, hate, offensive, profanity, spam, pii, question, complaint, sentiment, emotion or language",
        )
        parser.add_argument("file", help="CSV file with the header text,label")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = evaluate_file(options["signal"], options["file"])
        except EvaluationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(result))
