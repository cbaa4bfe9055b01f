"""Polling accounts: what the scheduler enqueues and what a worker runs.

A poll holds a lease on its account and renews it with every page it commits. The lease, not
the task queue, is what guarantees the account is polled again if a worker dies mid-poll: once
it runs out, the scheduler hands the account to another worker, which resumes from the last
committed cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicdesk.archive.ingest import IngestReport, store_records
from civicdesk.archive.models import ItemVersion
from civicdesk.connectors.base import ConnectorError, FetchPage
from civicdesk.connectors.registry import connector_for
from civicdesk.inbox import intake

from .health import mark_needs_reconnect
from .models import Account
from .tokens import RefreshingReader

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_PAGES_PER_POLL = 50


@dataclass
class PollResult:
    account_id: int
    pages: int
    report: IngestReport
    error: str = ""


def lease() -> timedelta:
    return timedelta(seconds=settings.POLL_LEASE_SECONDS)


def claim_due_accounts(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Lease every account that is due for a poll; returns the ids this caller now owns."""
    now = now or timezone.now()
    claimed = []
    for account_id in Account.objects.due_for_poll(now).values_list("pk", flat=True)[:limit]:
        # Conditional update: of two schedulers racing for one account, only one gets a row.
        got = (
            Account.objects.due_for_poll(now)
            .filter(pk=account_id)
            .update(poll_lease_until=now + lease())
        )
        if got == 1:
            claimed.append(account_id)
    return claimed


def store_page(
    account: Account, connector_page: FetchPage, source: str, *, advance_cursor: bool = True
) -> IngestReport:
    """Archive one page from a connector and move the account's cursor, in one transaction.

    Pushed events (streams, webhooks) pass ``advance_cursor=False``: they leave the cursor and
    the poll lease alone, so polling still catches anything a push missed.
    """
    with transaction.atomic():
        report = store_records(
            account=account,
            records=connector_page.items,
            deleted_ids=connector_page.deleted_ids,
            source=source,
        )
        intake.receive(items=report.created_items)
        if advance_cursor:
            # The cursor moves in the same transaction as the versions it covers.
            Account.objects.filter(pk=account.pk).update(
                cursor=connector_page.next_cursor, poll_lease_until=timezone.now() + lease()
            )
            account.cursor = connector_page.next_cursor
    return report


def poll_account(
    *,
    account_id: int,
    page_size: int | None = None,
    on_page: Callable[[IngestReport], None] | None = None,
) -> PollResult:
    """Read everything new on one account into the archive, page by page."""
    account = Account.objects.get(pk=account_id)
    page_size = page_size or int(account.options.get("page_size", PAGE_SIZE))
    result = PollResult(account_id=account_id, pages=0, report=IngestReport())
    source = (
        ItemVersion.Source.REPLAY if account.options.get("replay_path") else ItemVersion.Source.POLL
    )
    retry_after: float | None = None
    has_more = False
    try:
        # Refreshes a refused token once before the account is marked below.
        connector = RefreshingReader(account, connect=connector_for)
        for _ in range(MAX_PAGES_PER_POLL):
            page = connector.fetch_new(cursor=account.cursor, limit=page_size)
            try:
                report = store_page(account, page, source)
            except IntegrityError:
                # Another writer stored part of this page first; re-reading it is a no-op for those.
                report = store_page(account, page, source)
            result.pages += 1
            result.report.merge(report)
            if on_page:
                on_page(report)
            has_more = page.has_more
            if not has_more:
                break
    except ConnectorError as exc:
        result.error = exc.message
        retry_after = exc.retry_after
        logger.warning("Polling %s failed: %s", account, exc.message)
        if exc.needs_reconnect:
            mark_needs_reconnect(account=account, reason=exc.message)
        status = Account.Status.ERROR if exc.permanent else Account.Status.ACTIVE
    else:
        status = Account.Status.ACTIVE
    if result.report.new_versions:
        logger.info(
            "%s: %d new items, %d new versions (%d edits and deletions).",
            account.display_name,
            len(result.report.created_item_ids),
            result.report.new_versions,
            result.report.new_versions - len(result.report.created_item_ids),
        )
    now = timezone.now()
    # A poll that stopped at its page limit comes straight back for the rest.
    delay = retry_after if retry_after is not None else 0 if has_more else account.poll_interval
    # An account waiting to be reconnected keeps that status until someone reconnects it.
    Account.objects.filter(pk=account_id).exclude(status=Account.Status.NEEDS_RECONNECT).update(
        status=status, last_error=result.error
    )
    Account.objects.filter(pk=account_id).update(
        last_polled_at=now,
        next_poll_at=now + timedelta(seconds=delay),
        poll_lease_until=None,
    )
    return result
