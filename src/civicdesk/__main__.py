"""The ``civicdesk`` console script: Django's management commands under one name."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicdesk.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    # `civicdesk verify-archive` reads better than `verify_archive`.
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "civicdesk"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
