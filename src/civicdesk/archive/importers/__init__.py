"""Importers for the archives agencies already hold: X, Mastodon, Facebook, Instagram, CSV."""

from .base import ArchiveFormatError, Progress
from .importing import IMPORTERS, import_archive

__all__ = ["IMPORTERS", "ArchiveFormatError", "Progress", "import_archive"]
