"""Evidence frozen when an item is escalated: the item, its thread, and every archived version.

The archive keeps the chain; an incident keeps its own copy of what was seen, with the archive's
hashes, so that what staff acted on can be shown to investigators as it was.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.db.models import Q

from civicdesk.archive.models import Item, ItemVersion

# A thread with more replies than this is still frozen up to here; the archive has the rest.
THREAD_LIMIT = 200


def freeze(item: Item, at: datetime.datetime) -> tuple[dict[str, Any], str]:
    """The evidence for ``item`` as of ``at``, and the SHA-256 of its canonical JSON."""
    top = item.thread_platform_id or item.platform_id
    thread = list(
        Item.objects.filter(account_id=item.account_id)
        .filter(Q(thread_platform_id=top) | Q(platform_id=top))
        .exclude(pk=item.pk)
        .order_by("created_at", "pk")[:THREAD_LIMIT]
    )
    versions: dict[int, list[dict[str, Any]]] = {}
    for version in ItemVersion.objects.filter(item_id__in=[item.pk, *(t.pk for t in thread)]):
        versions.setdefault(version.item_id, []).append(_version(version))
    evidence = {
        "frozen_at": at.isoformat(),
        "item": _item(item, versions.get(item.pk, [])),
        "thread": [_item(other, versions.get(other.pk, [])) for other in thread],
    }
    return evidence, sha256_of(evidence)


def sha256_of(evidence: dict[str, Any]) -> str:
    """The hash over the evidence's canonical JSON; recompute it to check a stored copy."""
    canonical = json.dumps(evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _item(item: Item, versions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": item.pk,
        "account_id": item.account_id,
        "platform": item.platform,
        "platform_id": item.platform_id,
        "kind": item.kind,
        "url": item.url,
        "author_handle": item.author_handle,
        "author_name": item.author_name,
        "parent_platform_id": item.parent_platform_id,
        "thread_platform_id": item.thread_platform_id,
        "created_at": item.created_at.isoformat(),
        "first_seen_at": item.first_seen_at.isoformat(),
        "is_deleted": item.is_deleted,
        "versions": versions,
    }


def _version(version: ItemVersion) -> dict[str, Any]:
    return {
        "seq": version.seq,
        "observed_at": version.observed_at.isoformat(),
        "source": version.source,
        "is_deletion": version.is_deletion,
        # The exact bytes the archive hashed, so content_sha256 can be checked against them.
        "content": version.content,
        "content_sha256": version.content_sha256,
        "prev_chain_hash": version.prev_chain_hash,
        "chain_hash": version.chain_hash,
    }
