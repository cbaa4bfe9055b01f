from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicdesk.archive.anchoring import AnchorError, key_id, public_key_pem, signing_key


class Command(BaseCommand):
    help = (
        "Print the public half of the key that signs the archive's seals, for the records "
        "officer to keep (verify-archive --public-key)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--public", action="store_true", required=True, help="Print the public key (PEM)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = signing_key().public_key()
        except AnchorError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"Key {key_id(key)}; save the lines below as anchor_key.pub.")
        self.stdout.write(public_key_pem(key), ending="")
