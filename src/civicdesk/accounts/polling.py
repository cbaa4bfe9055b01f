"""Polling accounts: what the scheduler enqueues and what a worker runs.

A poll holds a lease on its account and renews it with every page it commits. The lease, not
the task queue, is what guarantees the account is polled again if a worker dies mid-poll: once
it runs out, the scheduler hands the account to another worker, which resumes from the last
committed cursor.

The lease carries a token. The poll claims it before reading anything, and every page commits
only if the account still holds that token and the cursor the page was read from (a
compare-and-set in the page's own transaction): a worker that lost its lease, or a second copy
of the same poll, can never store a page twice or move the cursor back.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
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


class LeaseLost(Exception):
    """Another poll holds the account now, or moved its cursor: this one must stop."""


PAGE_SIZE = 200
MAX_PAGES_PER_POLL = 50
# A poll with more to read hands the worker back after this long (and is due again at once),
# so that triage of a possible threat never waits behind a whole backlog being read.
POLL_BUDGET_SECONDS = 1.0


@dataclass
class PollResult:
    account_id: int
    pages: int
    report: IngestReport
    error: str = ""
    skipped: bool = False


def lease() -> timedelta:
    return timedelta(seconds=settings.POLL_LEASE_SECONDS)


def claim_due_accounts(*, now: datetime | None = None, limit: int = 100) -> dict[int, str]:
    """Lease every account that is due for a poll; returns {account id: lease token} it now owns."""
    now = now or timezone.now()
    claimed = {}
    for account_id in Account.objects.due_for_poll(now).values_list("pk", flat=True)[:limit]:
        token = uuid.uuid4().hex
        # Conditional update: of two schedulers racing for one account, only one gets a row.
        got = (
            Account.objects.due_for_poll(now)
            .filter(pk=account_id)
            .update(poll_lease_until=now + lease(), poll_lease_token=token)
        )
        if got == 1:
            claimed[account_id] = token
    return claimed


def _take_lease(account_id: int, token: str | None) -> str | None:
    """The poll's own claim: the scheduler's lease if still ours, else a free or expired one.

    A poll that waited in a busy queue past its lease may find it handed to a later copy of
    itself; it still runs if nobody holds the account now, and that later copy then skips.
    """
    now = timezone.now()
    accounts = Account.objects.filter(pk=account_id)
    if token and accounts.filter(poll_lease_token=token).update(poll_lease_until=now + lease()):
        return token
    token = uuid.uuid4().hex
    free = Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now)
    if accounts.filter(free).update(poll_lease_until=now + lease(), poll_lease_token=token):
        return token
    return None


def store_page(
    account: Account,
    connector_page: FetchPage,
    source: str,
    *,
    advance_cursor: bool = True,
    lease_token: str = "",
) -> IngestReport:
    """Archive one page from a connector and move the account's cursor, in one transaction.

    A poll passes its ``lease_token``: the page commits only if the account still holds that
    lease and the cursor the page was read from (``account.cursor``); otherwise
    :class:`LeaseLost` is raised and nothing is written. Pushed events (streams, webhooks) pass
    ``advance_cursor=False``: they leave the cursor and the poll lease alone, so polling still
    catches anything a push missed.
    """
    with transaction.atomic():
        if advance_cursor:
            # First, so that on PostgreSQL the row lock also orders two writers of one account.
            moved = Account.objects.filter(pk=account.pk, cursor=account.cursor)
            if lease_token:
                moved = moved.filter(poll_lease_token=lease_token)
            if not moved.update(
                cursor=connector_page.next_cursor, poll_lease_until=timezone.now() + lease()
            ):
                raise LeaseLost(f"{account} is being polled by another worker.")
        report = store_records(
            account=account,
            records=connector_page.items,
            deleted_ids=connector_page.deleted_ids,
            source=source,
        )
        intake.receive_by_id(item_ids=report.created_item_ids)
    if advance_cursor:
        # The cursor moved in the same transaction as the versions it covers.
        account.cursor = connector_page.next_cursor
    return report


def poll_account(
    *,
    account_id: int,
    lease_token: str | None = None,
    page_size: int | None = None,
    on_page: Callable[[IngestReport], None] | None = None,
) -> PollResult:
    """Read everything new on one account into the archive, page by page.

    The poll first claims the account's lease (the scheduler's ``lease_token`` if it was
    given one): a second poll of the same account returns at once with ``skipped`` set.
    """
    token = _take_lease(account_id, lease_token)
    if token is None:
        logger.info("Account %s is being polled by another worker; skipped.", account_id)
        return PollResult(account_id=account_id, pages=0, report=IngestReport(), skipped=True)
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
        started = time.monotonic()
        for _ in range(MAX_PAGES_PER_POLL):
            page = connector.fetch_new(cursor=account.cursor, limit=page_size)
            try:
                report = store_page(account, page, source, lease_token=token)
            except IntegrityError:
                # A push (stream, webhook) stored part of this page first; storing it again
                # writes only what is still new.
                report = store_page(account, page, source, lease_token=token)
            result.pages += 1
            result.report.merge(report)
            if on_page:
                on_page(report)
            has_more = page.has_more
            if not has_more or time.monotonic() - started > POLL_BUDGET_SECONDS:
                break
    except LeaseLost as exc:
        # Whoever holds the lease now also owns the account's status and next poll.
        logger.warning("Stopped polling %s: %s", account, exc)
        result.error = str(exc)
        return result
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
    ours = Account.objects.filter(pk=account_id, poll_lease_token=token)
    ours.exclude(status=Account.Status.NEEDS_RECONNECT).update(
        status=status, last_error=result.error
    )
    ours.update(
        last_polled_at=now,
        next_poll_at=now + timedelta(seconds=delay),
        poll_lease_until=None,
        poll_lease_token="",
    )
    return result
