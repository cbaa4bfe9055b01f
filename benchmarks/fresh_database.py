"""A fresh, migrated database for one benchmark run (SQLite in a temp dir, or PostgreSQL)."""

from __future__ import annotations

import os
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def prepare(*, database: str, postgres_url: str, prefix: str) -> Path:
    """Point Django at a new empty database, set it up and migrate it; returns a work directory.

    PostgreSQL: the database named at the end of ``postgres_url`` is dropped and created again.
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["CIVICDESK_VAR_DIR"] = str(workdir)
    if database == "postgres":
        import psycopg

        server, name = postgres_url.rsplit("/", 1)
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = postgres_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "civicdesk.settings"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return workdir


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
