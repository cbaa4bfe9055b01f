from __future__ import annotations

import re
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicdesk.connectors.platforms import capability_table_markdown

START, END = "<!-- capabilities:start -->", "<!-- capabilities:end -->"


def with_table(text: str) -> str:
    """``text`` with the table between the capability markers replaced by the generated one."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"No {START} … {END} markers found.")
    return pattern.sub(lambda _: f"{START}\n{capability_table_markdown()}{END}", text)


class Command(BaseCommand):
    help = (
        "Print what each platform's connector can do as a Markdown table, or update the README's."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--update", metavar="FILE", help="Rewrite the table between the markers in FILE."
        )

    def handle(self, *args: Any, update: str | None, **options: Any) -> None:
        if not update:
            self.stdout.write(capability_table_markdown(), ending="")
            return
        path = Path(update)
        try:
            path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot update {path}: {exc}") from exc
        self.stdout.write(f"Updated the capability table in {path}.")
