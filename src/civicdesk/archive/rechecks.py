"""The re-check schedule: when each archived item is asked for again.

Polling reads what is new; an edit or a deletion of an older item only shows when someone asks
the platform for it again. Every item is re-checked at fixed delays after it was first seen
(``settings.RECHECK_AFTER``: 5 minutes, 1 hour, 6 hours, 1 day, 7 and 30 days by default), and
sooner when something says it changed: a new reply in its thread (due in a minute) or a webhook
naming it (due now).

A check is on time until its deadline: a quarter of its delay after it was due, and at least 15
minutes. Whatever is still unchecked past its deadline is overdue, shown on the accounts page
and counted by :func:`overdue_count`; a check done late is counted in the account's
:class:`~civicdesk.archive.models.RecaptureSpend` and logged.

The schedule lives in the database (:class:`~civicdesk.archive.models.Recheck`), so a restart
loses nothing; the scheduler claims due rows with a conditional update under a lease, so two
schedulers never check one item twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Least
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.core.bulk_rows import insert_rows

from .models import Item, Recheck

logger = logging.getLogger(__name__)

MIN_WINDOW = timedelta(minutes=15)
# A new reply says its thread is alive; the minute lets a burst of replies share one check.
REPLY_DELAY = timedelta(minutes=1)
CLAIM_LEASE = timedelta(minutes=10)
CLAIM_LIMIT = 1000
_BATCH = 500


def delays() -> list[timedelta]:
    return [timedelta(seconds=s) for s in settings.RECHECK_AFTER]


def window(delay: timedelta) -> timedelta:
    """How late a check that was due ``delay`` after first sight may be and still be on time."""
    return max(MIN_WINDOW, delay / 4)


def next_stage(*, first_seen_at: datetime, now: datetime) -> int | None:
    """The first scheduled check still ahead at ``now``, or None when the schedule is done."""
    for stage, delay in enumerate(delays()):
        if first_seen_at + delay > now:
            return stage
    return None


def _place(row: Recheck, stage: int) -> None:
    delay = delays()[stage]
    row.stage = stage
    row.due_at = row.first_seen_at + delay
    row.deadline = row.due_at + window(delay)


def schedule_new(*, account_id: int, item_ids: Sequence[int], first_seen_at: datetime) -> None:
    """Put items just archived on the schedule, from the moment they were first seen.

    Only for items created in the caller's transaction: nothing else can have scheduled them.
    """
    delay = delays()[0]
    due = first_seen_at + delay
    insert_rows(
        Recheck,
        ("item", "account", "first_seen_at", "stage", "due_at", "deadline", "claim"),
        ((pk, account_id, first_seen_at, 0, due, due + window(delay), "") for pk in item_ids),
    )


def bring_forward(*, account: Account, platform_ids: Collection[str], when: datetime) -> int:
    """Make the named archived items due by ``when``; returns how many rows that touched.

    Items whose schedule is done get a row again, for this one check.
    """
    ids = list(
        Item.objects.filter(
            account=account, platform_id__in=list(platform_ids), is_deleted=False
        ).values_list("pk", "first_seen_at")
    )
    if not ids:
        return 0
    last = len(delays())
    Recheck.objects.bulk_create(
        [
            Recheck(
                item_id=pk,
                account=account,
                first_seen_at=first_seen,
                stage=last,
                due_at=when,
                deadline=when + MIN_WINDOW,
            )
            for pk, first_seen in ids
        ],
        ignore_conflicts=True,
    )
    return Recheck.objects.filter(item_id__in=[pk for pk, _ in ids]).update(
        due_at=Least("due_at", when), deadline=Least("deadline", when + MIN_WINDOW)
    )


def after_replies(
    *, account: Account, items: Sequence[tuple[str, str, str]], now: datetime
) -> None:
    """New replies make their parent and thread root due for a check soon.

    ``items``: the new items' (platform id, parent's platform id, thread's platform id).
    """
    new_ids = {platform_id for platform_id, _, _ in items}
    above = {
        pid for _, parent, thread in items for pid in (parent, thread) if pid and pid not in new_ids
    }
    if above:
        bring_forward(account=account, platform_ids=above, when=now + REPLY_DELAY)


def claim_due(*, now: datetime | None = None, limit: int = CLAIM_LIMIT) -> dict[int, list[int]]:
    """Lease the due re-checks of every active account; returns item ids per account claimed.

    Of two schedulers racing for a row, only one conditional update matches it, and each
    learns which rows are its own by its claim token.
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    accounts = (
        Recheck.objects.due(now)
        .filter(account__status=Account.Status.ACTIVE)
        .values_list("account_id", flat=True)
        .distinct()
    )
    claimed: dict[int, list[int]] = {}
    for account_id in list(accounts):
        candidates = list(
            Recheck.objects.due(now)
            .filter(account_id=account_id)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        with transaction.atomic():
            Recheck.objects.due(now).filter(pk__in=candidates).update(
                claim=token, claimed_until=now + CLAIM_LEASE
            )
        mine = list(
            Recheck.objects.filter(account_id=account_id, claim=token).values_list("pk", flat=True)
        )
        if mine:
            claimed[account_id] = sorted(mine)
    return claimed


def mark_checked(*, item_ids: Collection[int], now: datetime) -> int:
    """Move checked items on to their next scheduled check; returns how many were late.

    A check counts for every scheduled check already due, so an item checked early (after a
    reply) keeps its schedule, and one checked after downtime does not check again at once.
    """
    late = 0
    rows = list(Recheck.objects.filter(item_id__in=list(item_ids)).select_related("item"))
    finished: list[int] = []
    moved: list[Recheck] = []
    for row in rows:
        if row.due_at <= now and row.deadline < now:
            late += 1
        stage = next_stage(first_seen_at=row.first_seen_at, now=now)
        if row.item.is_deleted or stage is None:
            finished.append(row.pk)
            continue
        _place(row, stage)
        row.claim, row.claimed_until = "", None
        moved.append(row)
    Recheck.objects.filter(pk__in=finished).delete()
    Recheck.objects.bulk_update(
        moved, ["stage", "due_at", "deadline", "claim", "claimed_until"], batch_size=_BATCH
    )
    return late


def defer(*, item_ids: Collection[int], until: datetime) -> None:
    """Hand claimed items back, due again at ``until`` (their deadline stays as it was)."""
    Recheck.objects.filter(item_id__in=list(item_ids)).update(
        due_at=until, claim="", claimed_until=None
    )


def unschedule(*, item_ids: Collection[int]) -> None:
    """Take items off the schedule: their platform cannot be asked for them again."""
    Recheck.objects.filter(item_id__in=list(item_ids)).delete()


def overdue_count(*, account: Account | None = None, now: datetime | None = None) -> int:
    """Items whose check is past its deadline and still not done."""
    rows = Recheck.objects.overdue(now or timezone.now())
    if account is not None:
        rows = rows.filter(account=account)
    return rows.count()


def log_overdue(*, now: datetime | None = None) -> int:
    """Warn once per account whose re-checks are overdue; returns how many are."""
    now = now or timezone.now()
    rows = (
        Recheck.objects.overdue(now)
        .values("account_id", "account__display_name")
        .annotate(overdue=Count("pk"))
        .order_by("account_id")
    )
    total = 0
    for row in rows:
        total += row["overdue"]
        logger.warning(
            "%s: %d items are overdue for their re-check; edits and deletions may be missed.",
            row["account__display_name"],
            row["overdue"],
        )
    return total


def counts_by_account(*, account_ids: Collection[int], now: datetime) -> dict[int, tuple[int, int]]:
    """(due, overdue) re-checks per account id, in one query.

    Overdue ones count as due too: their check is still to be done.
    """
    rows = (
        Recheck.objects.filter(account_id__in=list(account_ids))
        .filter(Q(due_at__lte=now) | Q(deadline__lt=now))
        .values("account_id")
        .annotate(due=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=now)))
    )
    return {r["account_id"]: (r["due"], r["overdue"]) for r in rows}
