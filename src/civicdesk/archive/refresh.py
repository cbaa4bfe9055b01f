"""Checking one archived item against its platform again, with the thread around it.

Polling reads what is new; an edit or a deletion of an older item may never show up in a
listing. Refreshing asks the platform for the item's thread now: whatever changed becomes a new
version, new replies become items (and reach the inbox, as polled ones do), and an item the
platform no longer has becomes a deletion version that keeps its last words.
"""

from __future__ import annotations

from django.db import transaction

from civicdesk.connectors.base import ItemGone
from civicdesk.connectors.registry import connector_for
from civicdesk.inbox import intake

from .ingest import IngestReport, store_records
from .models import Item, ItemVersion


def refresh_thread(*, item: Item) -> IngestReport:
    """Archive the current state of ``item``'s thread, or the item's deletion.

    Raises :class:`~civicdesk.connectors.base.ConnectorError` when the platform cannot be asked
    (unsupported, rate-limited, signed out); nothing is written then.
    """
    account = item.account
    connector = connector_for(account)
    try:
        records = connector.fetch_thread(platform_id=item.platform_id)
    except ItemGone as gone:
        with transaction.atomic():
            return store_records(
                account=account,
                records=[],
                deleted_ids=[gone.platform_id],
                source=ItemVersion.Source.POLL,
            )
    with transaction.atomic():
        report = store_records(account=account, records=records, source=ItemVersion.Source.POLL)
        intake.receive_by_id(item_ids=report.created_item_ids)
    return report
