"""Checking the archive's hash chains and daily seals (``civicdesk verify-archive``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models.functions import TruncDate

from civicdesk.accounts.models import Account

from .hashing import GENESIS, chain_hash, ledger_digest
from .models import Item, ItemVersion, LedgerDay


@dataclass
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class VerifyReport:
    items: int = 0
    versions: int = 0
    days: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        return not self.problems


def _versions_in_item_order(
    batch_size: int,
) -> Iterator[tuple[int, int, str, str, str, str, datetime]]:
    # Keyset pagination keeps memory flat however large the archive is.
    last = (0, 0)
    while True:
        rows = list(
            ItemVersion.objects.filter(item_id__gte=last[0])
            .exclude(item_id=last[0], seq__lte=last[1])
            .order_by("item_id", "seq")
            .values_list(
                "item_id",
                "seq",
                "content",
                "content_sha256",
                "prev_chain_hash",
                "chain_hash",
                "observed_at",
            )[:batch_size]
        )
        if not rows:
            return
        yield from rows
        last = (rows[-1][0], rows[-1][1])


def verify_archive(*, batch_size: int = 2000) -> VerifyReport:
    """Recompute every version's content hash and chain link, and every sealed day's digest."""
    report = VerifyReport()
    latest: dict[int, tuple[int, str]] = {}
    expected_prev: dict[int, tuple[int, str]] = {}
    for item_id, seq, content, sha, prev, chained, observed_at in _versions_in_item_order(
        batch_size
    ):
        report.versions += 1
        where = f"item {item_id} version {seq}"
        last_seq, last_chain = expected_prev.get(item_id, (0, GENESIS))
        if seq != last_seq + 1:
            report.problems.append(
                Problem(where, f"expected version {last_seq + 1}: a version is missing")
            )
        if hashlib.sha256(content.encode()).hexdigest() != sha:
            report.problems.append(
                Problem(where, "content does not match its SHA-256: it was altered")
            )
        if prev != last_chain:
            report.problems.append(Problem(where, "does not link to the previous version's hash"))
        if chain_hash(prev, sha, observed_at) != chained:
            report.problems.append(
                Problem(where, "chain hash does not match: content, time or link was altered")
            )
        expected_prev[item_id] = (seq, chained)
        latest[item_id] = (seq, chained)

    for item_id, version_count in Item.objects.values_list("pk", "version_count").iterator():
        report.items += 1
        seen = latest.get(item_id)
        if seen is None:
            report.problems.append(Problem(f"item {item_id}", "has no versions"))
        elif seen[0] != version_count:
            report.problems.append(
                Problem(
                    f"item {item_id}", f"says {version_count} versions, the archive holds {seen[0]}"
                )
            )

    for seal in LedgerDay.objects.select_related("account"):
        report.days += 1
        hashes = _chain_hashes_for_day(seal.account_id, seal.day)
        if len(hashes) != seal.version_count or ledger_digest(hashes) != seal.digest:
            report.problems.append(
                Problem(
                    f"{seal.account.display_name} on {seal.day}",
                    f"sealed {seal.version_count} versions, found {len(hashes)} that do not match the seal",
                )
            )
    return report


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _chain_hashes_for_day(account_id: int, day: date) -> list[str]:
    start, end = _day_bounds(day)
    return list(
        ItemVersion.objects.filter(
            item__account_id=account_id, observed_at__gte=start, observed_at__lt=end
        ).values_list("chain_hash", flat=True)
    )


def seal_days(*, before: date) -> int:
    """Seal every account's unsealed days that ended before ``before``; returns how many.

    Versions are stamped with the time they were observed, so a finished day never grows.
    """
    cutoff, _ = _day_bounds(before)
    sealed = 0
    for account_id in Account.objects.values_list("pk", flat=True):
        done = set(LedgerDay.objects.filter(account_id=account_id).values_list("day", flat=True))
        days = (
            ItemVersion.objects.filter(item__account_id=account_id, observed_at__lt=cutoff)
            .annotate(day=TruncDate("observed_at", tzinfo=UTC))
            .values_list("day", flat=True)
            .distinct()
        )
        for day in sorted(set(days) - done):
            hashes = _chain_hashes_for_day(account_id, day)
            try:
                with transaction.atomic():
                    LedgerDay.objects.create(
                        account_id=account_id,
                        day=day,
                        version_count=len(hashes),
                        digest=ledger_digest(hashes),
                    )
            except IntegrityError:
                continue  # another scheduler sealed it first
            sealed += 1
    return sealed
