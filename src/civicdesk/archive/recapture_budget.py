"""How many API calls recapture may spend per account, and what it has spent.

Each platform limits calls per window (YouTube: quota units per day; X: requests per 15
minutes; Mastodon and Bluesky: requests per 5 minutes). Recapture gets a share of that well
below the platform's limit, so polling and replies always have headroom; what does not fit in a
window waits for the next one. The defaults below can be changed per platform with
``CIVICDESK_RECAPTURE_BUDGETS`` and per account with the option ``recapture_budget``
(``{"calls": 10, "seconds": 900}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import Platform

from .models import RecaptureSpend

# (calls, seconds): a share of each platform's documented limit (docs: platforms.md).
DEFAULT_BUDGETS: dict[str, tuple[int, int]] = {
    # 10,000 quota units a day per project, shared by every channel and by polling.
    Platform.YOUTUBE: (2000, 86400),
    # Legacy Basic allows 15 lookups per 15 minutes per user; pay-per-use bills each read.
    Platform.X: (5, 900),
    # 300 requests per 5 minutes per account.
    Platform.MASTODON: (60, 300),
    # 3,000 requests per 5 minutes per IP, shared by every account on the server.
    Platform.BLUESKY: (100, 300),
    # Business Use Case limit: 4,800 calls a day times engaged users.
    Platform.FACEBOOK: (200, 3600),
    Platform.INSTAGRAM: (200, 3600),
    Platform.PINTEREST: (100, 3600),
    Platform.RSS: (12, 3600),
    Platform.SNAPCHAT: (0, 86400),
}
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Budget:
    calls: int
    seconds: int

    @property
    def per_day(self) -> int:
        return self.calls * 86400 // self.seconds

    def window_start(self, now: datetime) -> datetime:
        windows = (now - EPOCH) // timedelta(seconds=self.seconds)
        return EPOCH + windows * timedelta(seconds=self.seconds)

    def window_end(self, now: datetime) -> datetime:
        return self.window_start(now) + timedelta(seconds=self.seconds)


def budget_for(account: Account) -> Budget:
    own = (account.options or {}).get("recapture_budget")
    if isinstance(own, dict) and int(own.get("seconds", 0)) > 0:
        return Budget(calls=int(own.get("calls", 0)), seconds=int(own["seconds"]))
    calls, seconds = settings.RECAPTURE_BUDGETS.get(
        account.platform, DEFAULT_BUDGETS.get(account.platform, (60, 3600))
    )
    return Budget(calls=calls, seconds=seconds)


def _row(account: Account, budget: Budget, now: datetime) -> RecaptureSpend:
    row, _ = RecaptureSpend.objects.get_or_create(
        account=account, window_start=budget.window_start(now)
    )
    return row


def reserve_calls(*, account: Account, budget: Budget, now: datetime, calls: int = 1) -> bool:
    """Take ``calls`` from this window's budget; False (and nothing taken) when they do not fit.

    The conditional update keeps the count exact when several workers spend at once.
    """
    row = _row(account, budget, now)
    taken = RecaptureSpend.objects.filter(pk=row.pk, calls__lte=budget.calls - calls).update(
        calls=F("calls") + calls
    )
    return taken == 1


def return_calls(*, account: Account, budget: Budget, now: datetime, calls: int) -> None:
    """Give back reserved calls that were not made."""
    if calls > 0:
        RecaptureSpend.objects.filter(
            account=account, window_start=budget.window_start(now)
        ).update(calls=F("calls") - calls)


def record_run(
    *, account: Account, budget: Budget, now: datetime, checked: int, deferred: int, late: int
) -> None:
    row = _row(account, budget, now)
    RecaptureSpend.objects.filter(pk=row.pk).update(
        items_checked=F("items_checked") + checked,
        items_deferred=F("items_deferred") + deferred,
        late_checks=F("late_checks") + late,
        last_run_at=now,
    )


def calls_today(*, account: Account, now: datetime | None = None) -> int:
    start = timezone.localtime(now or timezone.now()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    spent = RecaptureSpend.objects.filter(account=account, window_start__gte=start).aggregate(
        calls=Sum("calls")
    )
    return int(spent["calls"] or 0)


@dataclass(frozen=True, slots=True)
class RecaptureStatus:
    """What the accounts page shows about one account's re-checks."""

    calls_today: int
    calls_per_day: int
    items_due: int
    items_overdue: int
    late_today: int
    last_run_at: datetime | None


def status_by_account(
    *, accounts: Sequence[Account], now: datetime | None = None
) -> dict[int, RecaptureStatus]:
    """Each account's recapture status, in two queries whatever the number of accounts."""
    from .rechecks import counts_by_account

    now = now or timezone.now()
    ids = [a.pk for a in accounts]
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    spent = {
        row["account_id"]: row
        for row in RecaptureSpend.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(
            calls=Sum("calls", filter=Q(window_start__gte=start)),
            late=Sum("late_checks", filter=Q(window_start__gte=start)),
            last=Max("last_run_at"),
        )
    }
    counts = counts_by_account(account_ids=ids, now=now)
    status = {}
    for account in accounts:
        row = spent.get(account.pk, {})
        due, overdue = counts.get(account.pk, (0, 0))
        status[account.pk] = RecaptureStatus(
            calls_today=int(row.get("calls") or 0),
            calls_per_day=budget_for(account).per_day,
            items_due=due,
            items_overdue=overdue,
            late_today=int(row.get("late") or 0),
            last_run_at=row.get("last"),
        )
    return status


def late_checks(*, account: Account | None = None) -> int:
    """Checks ever done after their deadline."""
    rows = RecaptureSpend.objects.all()
    if account is not None:
        rows = rows.filter(account=account)
    return int(rows.aggregate(late=Sum("late_checks"))["late"] or 0)


def last_recapture(*, account: Account) -> datetime | None:
    found: datetime | None = RecaptureSpend.objects.filter(account=account).aggregate(
        last=Max("last_run_at")
    )["last"]
    return found
