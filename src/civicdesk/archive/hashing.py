"""Canonical content and the hash chain of the archive.

``content_sha256`` is the SHA-256 of the canonical JSON of what matters about an item's state;
``chain_hash = sha256(prev_chain_hash ‖ content_sha256 ‖ observed_at)`` ties each version to the
one before it, so changing or removing any version breaks every hash after it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from civicdesk.connectors.base import ItemRecord

GENESIS = "0" * 64


def canonical_content(record: ItemRecord, *, platform: str, account_handle: str) -> dict[str, Any]:
    """What about an item's state is the record: identity, words, people, media, visibility."""
    return {
        "platform": platform,
        "account": account_handle,
        "platform_id": record.platform_id,
        "kind": str(record.kind),
        "text": record.text,
        "author_handle": record.author_handle,
        "author_name": record.author_name,
        "author_platform_id": record.author_platform_id,
        "url": record.url,
        "parent_platform_id": record.parent_platform_id,
        "language": record.language,
        "media": [{"url": m.url, "kind": m.kind, "alt_text": m.alt_text} for m in record.media],
        "is_hidden": record.is_hidden,
        "is_deleted": record.is_deleted,
        "created_at": record.created_at.isoformat(),
        "edited_at": record.edited_at.isoformat() if record.edited_at else None,
    }


# ensure_ascii keeps the bytes identical whatever the database does with Unicode.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_json(content: dict[str, Any]) -> bytes:
    return _CANONICAL.encode(content).encode()


def content_sha256(content: dict[str, Any]) -> str:
    return body_sha256(canonical_json(content))


def body_sha256(body: bytes) -> str:
    """``content_sha256`` of content whose canonical JSON is ``body``."""
    return hashlib.sha256(body).hexdigest()


def chain_hash(prev_chain_hash: str, content_hash: str, observed_at: datetime) -> str:
    return hashlib.sha256(
        f"{prev_chain_hash}{content_hash}{utc_stamp(observed_at)}".encode()
    ).hexdigest()


@functools.lru_cache(maxsize=64)  # a page's versions share one observation time
def utc_stamp(observed_at: datetime) -> str:
    return observed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
