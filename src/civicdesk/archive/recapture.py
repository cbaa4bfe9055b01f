"""Recapture: asking a platform again for archived items that are due for a re-check.

Through the platform's cheapest call: a connector that can ``lookup`` gets the due items in
batches (X 100 per call, YouTube and Meta 50, Bluesky 25); what comes back changed becomes a new
version, what the platform no longer has becomes a deletion version. A connector without it
refreshes each item's thread. Every call is taken from the account's recapture budget first;
what does not fit waits for the next budget window and is counted as deferred, never dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from civicdesk.accounts.health import mark_needs_reconnect
from civicdesk.accounts.models import Account
from civicdesk.connectors.base import Capability, Connector, ConnectorError, LookupResult
from civicdesk.connectors.registry import connector_for

from . import rechecks
from .ingest import IngestReport, store_records
from .models import Item, ItemVersion
from .recapture_budget import budget_for, record_run, reserve_calls, return_calls
from .refresh import refresh_thread

logger = logging.getLogger(__name__)

# After a retryable platform error without a stated wait.
ERROR_BACKOFF = timedelta(minutes=5)


@dataclass
class RecaptureReport:
    account_id: int
    calls: int = 0
    checked: int = 0
    deferred: int = 0
    late: int = 0
    new_versions: int = 0
    deletions: int = 0
    error: str = ""


def _store(account: Account, result: LookupResult) -> IngestReport:
    source = (
        ItemVersion.Source.REPLAY if account.options.get("replay_path") else ItemVersion.Source.POLL
    )
    for attempt in range(2):
        try:
            with transaction.atomic():
                return store_records(
                    account=account, records=result.found, deleted_ids=result.gone, source=source
                )
        except IntegrityError:
            # A poll stored a newer state of one of these items at the same moment; the
            # second attempt sees it and writes only what is still new.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _check_batch(
    account: Account, connector: Connector, items: Sequence[Item], report: RecaptureReport
) -> int:
    """Re-check one batch; returns the API calls it made."""
    if connector.can(Capability.LOOKUP):
        result = connector.lookup(platform_ids=[i.platform_id for i in items])
        stored, calls = _store(account, result), result.calls
    else:
        stored, calls = IngestReport(), 0
        for item in items:
            calls += 1
            try:
                stored.merge(refresh_thread(item=item))
            except ConnectorError as exc:
                if exc.needs_reconnect or not exc.permanent:
                    raise
                # This item cannot be asked for again (a kind of item the platform's API does
                # not read alone); it leaves the schedule rather than fail at every check.
                logger.warning("%s: %s is no longer re-checked: %s", account, item, exc.message)
                rechecks.unschedule(item_ids=[item.pk])
    report.new_versions += stored.new_versions
    report.deletions += stored.deletions
    return calls


def recapture(
    *, account_id: int, item_ids: Sequence[int], now: datetime | None = None
) -> RecaptureReport:
    """Re-check ``item_ids`` of one account within its budget; move each on its schedule.

    Items left over (budget spent, platform error) are handed back to the schedule, due when
    the budget window ends or the platform says to try again.
    """
    now = now or timezone.now()
    account = Account.objects.get(pk=account_id)
    report = RecaptureReport(account_id=account_id)
    # Most urgent first, so that items deferred once are not deferred again.
    items = list(
        Item.objects.filter(account=account, pk__in=list(item_ids)).order_by(
            "recheck__deadline", "pk"
        )
    )
    budget = budget_for(account)
    remaining = items
    try:
        connector = connector_for(account)
        if not (connector.can(Capability.LOOKUP) or connector.can(Capability.FETCH_THREAD)):
            # Items logged by hand: the platform cannot be asked, so nothing is ever due.
            rechecks.unschedule(item_ids=[i.pk for i in items])
            return report
        lookup = connector.can(Capability.LOOKUP)
        size = connector.lookup_batch_size if lookup else 1
        # The most calls one batch can take; what it did not use is given back.
        most = connector.lookup_calls if lookup else 1
        while remaining:
            batch, rest = remaining[:size], remaining[size:]
            if not reserve_calls(account=account, budget=budget, now=now, calls=most):
                break
            try:
                made = _check_batch(account, connector, batch, report)
            except ConnectorError:
                return_calls(account=account, budget=budget, now=now, calls=most - 1)
                report.calls += 1
                raise
            return_calls(account=account, budget=budget, now=now, calls=most - made)
            report.calls += made
            checked = [i.pk for i in batch]
            report.late += rechecks.mark_checked(item_ids=checked, now=now)
            report.checked += len(checked)
            remaining = rest
    except ConnectorError as exc:
        report.error = exc.message
        logger.warning("Recapture of %s failed: %s", account, exc.message)
        if exc.needs_reconnect:
            mark_needs_reconnect(account=account, reason=exc.message)
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else ERROR_BACKOFF
        _defer(account, remaining, report, until=now + wait, why=exc.message)
    else:
        why = f"the recapture budget of {budget.calls} calls per {budget.seconds} s is spent"
        _defer(account, remaining, report, until=budget.window_end(now), why=why)
    record_run(
        account=account,
        budget=budget,
        now=now,
        checked=report.checked,
        deferred=report.deferred,
        late=report.late,
    )
    if report.late:
        logger.warning(
            "%s: %d items were re-checked after their window closed.", account, report.late
        )
    return report


def _defer(
    account: Account,
    items: Sequence[Item],
    report: RecaptureReport,
    *,
    until: datetime,
    why: str,
) -> None:
    if not items:
        return
    rechecks.defer(item_ids=[i.pk for i in items], until=until)
    report.deferred = len(items)
    logger.warning(
        "%s: %d items wait for their re-check until %s: %s.",
        account,
        len(items),
        until.isoformat(timespec="seconds"),
        why.rstrip("."),
    )
