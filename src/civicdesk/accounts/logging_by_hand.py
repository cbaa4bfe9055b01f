"""Archiving what staff copy by hand from a platform without an API (Snapchat)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest

from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.connectors.base import ItemKind, ItemRecord
from civicdesk.core import audit
from civicdesk.inbox import intake

from .models import Account


@transaction.atomic
def log_item(
    *,
    account: Account,
    kind: str,
    text: str,
    author_handle: str,
    posted_at: datetime,
    url: str,
    by: User,
    request: HttpRequest | None = None,
) -> Item:
    record = ItemRecord(
        platform_id=f"manual-{uuid.uuid4()}",
        kind=ItemKind(kind),
        text=text,
        created_at=posted_at,
        author_handle=author_handle,
        url=url,
        raw={"logged_by": by.get_username(), "note": "copied by hand; the platform has no API"},
    )
    report = store_records(account=account, records=[record], source=ItemVersion.Source.MANUAL)
    intake.receive(items=report.created_items)
    item = report.created_items[0]
    audit.record("archive.logged_by_hand", target=item, by=by, request=request)
    return item
