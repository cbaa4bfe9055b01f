from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.credentials import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every account's credentials with the first of CIVICDESK_CREDENTIAL_KEYS "
        "(after adding a key, or to move off the key earlier versions derived from SECRET_KEY)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated, unreadable = rotate_all()
        self.stdout.write(f"Re-encrypted the credentials of {rotated} accounts.")
        if unreadable:
            for name in unreadable:
                self.stderr.write(f"  {name}")
            raise CommandError(
                f"No configured key reads the credentials of {len(unreadable)} accounts; "
                "reconnect them."
            )
