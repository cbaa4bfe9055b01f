"""Recapture: due items asked for again, within the account's budget, edits and deletions kept."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from civicdesk.accounts.models import Account
from civicdesk.accounts.polling import poll_account
from civicdesk.archive import rechecks
from civicdesk.archive.models import Item, RecaptureSpend, Recheck
from civicdesk.archive.recapture import recapture
from civicdesk.archive.recapture_budget import Budget, budget_for, calls_today, late_checks
from civicdesk.archive.verify import verify_archive
from civicdesk.core.scheduler import run_due_work
from civicdesk.testing.factories import replay_account, write_replay

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def comment(i: int, text: str = "", **extra: object) -> dict[str, object]:
    return {
        "id": f"c{i}",
        "kind": "comment",
        "text": text or f"Comment {i}",
        "offset_s": -60,
        "author": {"handle": f"parent{i}"},
        **extra,
    }


def texts(platform_id: str) -> list[tuple[str, bool]]:
    item = Item.objects.get(platform_id=platform_id)
    return [(v.text, v.is_deletion) for v in item.versions.order_by("seq")]


def live_account(tmp_path: Path, events: list[dict[str, object]], **options: object) -> Account:
    """A replay account whose file plays in real time from T0, already polled once."""
    path = write_replay(tmp_path / "feed.jsonl", events)
    with time_machine.travel(T0, tick=False):
        account = replay_account(path, speed=1, started_at=T0)
        account.options.update(options)
        account.save()
        poll_account(account_id=account.pk)
    return account


class TestRecapturingThroughTheScheduler:
    def test_a_quiet_edit_and_a_quiet_deletion_are_captured_at_the_next_check(
        self, tmp_path, run_tasks_now
    ):
        account = live_account(
            tmp_path,
            [
                comment(1, "Is the pool open?"),
                comment(2, "You people are useless"),
                comment(3),
                {
                    **comment(1, "Is the pool open on Saturday?"),
                    "op": "edit",
                    "offset_s": 120,
                    "created_offset_s": -60,
                    "unlisted": True,
                },
                {"op": "delete", "id": "c2", "offset_s": 180, "unlisted": True},
            ],
        )
        with time_machine.travel(T0 + 4 * MIN, tick=False):
            poll_account(account_id=account.pk)
            assert run_due_work(seal=False)["recaptures"] == 0
        assert texts("c1") == [("Is the pool open?", False)], "polling does not see quiet edits"

        with time_machine.travel(T0 + 5 * MIN, tick=False):
            assert run_due_work(seal=False)["recaptures"] == 1

        assert texts("c1") == [
            ("Is the pool open?", False),
            ("Is the pool open on Saturday?", False),
        ]
        assert texts("c2") == [("You people are useless", False), ("You people are useless", True)]
        assert texts("c3") == [("Comment 3", False)], "an unchanged item writes nothing"
        assert Recheck.objects.filter(item__platform_id="c2").exists() is False
        assert Recheck.objects.get(item__platform_id="c1").due_at == T0 + HOUR
        spend = RecaptureSpend.objects.get(account=account)
        assert (spend.calls, spend.items_checked, spend.items_deferred) == (1, 3, 0)
        assert verify_archive().problems == []

    def test_a_restarted_scheduler_finds_what_was_due(self, tmp_path, run_tasks_now):
        account = live_account(tmp_path, [comment(1)])
        # Nothing in memory carries the schedule: a scheduler started days later still finds it.
        with time_machine.travel(T0 + 2 * timedelta(days=1), tick=False):
            assert run_due_work(seal=False)["recaptures"] == 1
        assert RecaptureSpend.objects.get(account=account).late_checks == 1
        assert late_checks(account=account) == 1


class TestBudget:
    @pytest.fixture
    def busy(self, tmp_path) -> Account:
        return live_account(
            tmp_path,
            [comment(i) for i in range(250)],
            recapture_budget={"calls": 2, "seconds": 3600},
        )

    def test_recapture_never_spends_more_calls_than_its_budget(self, busy, caplog):
        ids = list(Item.objects.filter(account=busy).values_list("pk", flat=True))
        with caplog.at_level(logging.WARNING, logger="civicdesk.archive.recapture"):
            report = recapture(account_id=busy.pk, item_ids=ids, now=T0 + 5 * MIN)
        assert (report.calls, report.checked, report.deferred) == (2, 200, 50)
        assert RecaptureSpend.objects.get(account=busy).calls == 2
        assert "50 items wait for their re-check until 2026-03-02T18:00:00+00:00" in caplog.text

    def test_what_does_not_fit_waits_for_the_next_window_and_is_reported_when_late(self, busy):
        ids = list(Item.objects.filter(account=busy).values_list("pk", flat=True))
        recapture(account_id=busy.pk, item_ids=ids, now=T0 + 5 * MIN)
        waiting = Recheck.objects.filter(due_at=T0 + HOUR)
        assert waiting.count() == 200 + 50, "checked ones are due at 1 h, deferred ones too"
        assert rechecks.claim_due(now=T0 + 30 * MIN) == {}
        assert rechecks.overdue_count(account=busy, now=T0 + 30 * MIN) == 50

        claimed = rechecks.claim_due(now=T0 + HOUR)
        report = recapture(account_id=busy.pk, item_ids=claimed[busy.pk], now=T0 + HOUR)
        assert report.late == 50
        assert RecaptureSpend.objects.get(account=busy, window_start=T0 + HOUR).late_checks == 50

    def test_each_platform_has_a_default_budget_an_account_may_change(self, settings):
        youtube = Account(platform="youtube", options={})
        assert budget_for(youtube) == Budget(calls=2000, seconds=86400)
        settings.RECAPTURE_BUDGETS = {"youtube": (500, 86400)}
        assert budget_for(youtube).calls == 500
        youtube.options = {"recapture_budget": {"calls": 7, "seconds": 60}}
        assert budget_for(youtube) == Budget(calls=7, seconds=60)

    def test_calls_are_counted_per_day(self, busy):
        ids = list(Item.objects.filter(account=busy).values_list("pk", flat=True))
        recapture(account_id=busy.pk, item_ids=ids, now=T0 + 5 * MIN)
        assert calls_today(account=busy, now=T0 + 10 * MIN) == 2
