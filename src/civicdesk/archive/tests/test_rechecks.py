"""The re-check schedule: thinning out with age, brought forward by replies and webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from civicdesk.accounts.models import Account
from civicdesk.accounts.polling import poll_account
from civicdesk.archive import rechecks
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import ItemVersion, Recheck
from civicdesk.testing.factories import AccountFactory, record, replay_account, write_replay

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def archive(account: Account, *records, source: str = ItemVersion.Source.POLL) -> None:
    with transaction.atomic():
        store_records(account=account, records=list(records), source=source)


def row(platform_id: str) -> Recheck:
    return Recheck.objects.get(item__platform_id=platform_id)


@pytest.fixture
def account() -> Account:
    return AccountFactory.create()


class TestSchedule:
    def test_an_item_is_checked_again_less_and_less_often_as_it_ages(self, account):
        with time_machine.travel(T0, tick=False):
            archive(account, record("c1"))
        expected = [5 * MIN, HOUR, 6 * HOUR, DAY, 7 * DAY, 30 * DAY]
        for stage, delay in enumerate(expected):
            recheck = row("c1")
            assert (recheck.stage, recheck.due_at) == (stage, T0 + delay)
            rechecks.mark_checked(item_ids=[recheck.pk], now=T0 + delay)
        assert Recheck.objects.exists() is False, "the schedule ends after 30 days"

    def test_the_delays_are_configurable(self, account, settings):
        settings.RECHECK_AFTER = [60, 600]
        with time_machine.travel(T0, tick=False):
            archive(account, record("c1"))
        assert row("c1").due_at == T0 + MIN
        rechecks.mark_checked(item_ids=[row("c1").pk], now=T0 + MIN)
        assert row("c1").due_at == T0 + 10 * MIN

    def test_a_check_is_on_time_until_a_quarter_of_its_delay_is_over(self, account):
        with time_machine.travel(T0, tick=False):
            archive(account, record("c1"))
        assert row("c1").deadline == T0 + 5 * MIN + 15 * MIN, "at least 15 minutes"
        rechecks.mark_checked(item_ids=[row("c1").pk], now=T0 + 5 * MIN)
        rechecks.mark_checked(item_ids=[row("c1").pk], now=T0 + HOUR)
        assert row("c1").deadline == T0 + 6 * HOUR + 90 * MIN

    def test_a_late_check_counts_as_late_and_covers_every_check_it_was_late_for(self, account):
        with time_machine.travel(T0, tick=False):
            archive(account, record("c1"))
        assert rechecks.overdue_count(account=account, now=T0 + 21 * MIN) == 1
        late = rechecks.mark_checked(item_ids=[row("c1").pk], now=T0 + 2 * DAY)
        assert late == 1
        assert (row("c1").stage, row("c1").due_at) == (4, T0 + 7 * DAY)
        assert rechecks.overdue_count(account=account, now=T0 + 2 * DAY) == 0

    def test_a_deleted_item_leaves_the_schedule(self, account):
        with time_machine.travel(T0, tick=False):
            archive(account, record("c1"))
        with transaction.atomic():
            store_records(account=account, records=[], deleted_ids=["c1"], source="poll")
        rechecks.mark_checked(item_ids=[row("c1").pk], now=T0 + 5 * MIN)
        assert Recheck.objects.exists() is False

    def test_imported_history_is_not_scheduled(self, account):
        archive(account, record("c1"), source=ItemVersion.Source.IMPORT)
        assert Recheck.objects.exists() is False

    def test_polled_items_join_the_schedule(self, tmp_path):
        path = write_replay(tmp_path / "feed.jsonl", [{"id": "c1", "text": "Hello"}])
        with time_machine.travel(T0, tick=False):
            account = replay_account(path)
            poll_account(account_id=account.pk)
        assert row("c1").due_at == T0 + 5 * MIN


class TestTriggeredChecks:
    def test_a_new_reply_makes_its_parent_and_thread_due_within_a_minute(self, account):
        with time_machine.travel(T0, tick=False):
            archive(account, record("p1", kind="post"))
            archive(account, record("c1", parent_platform_id="p1"))
        rechecks.mark_checked(item_ids=[row("p1").pk, row("c1").pk], now=T0 + HOUR)
        with time_machine.travel(T0 + 3 * HOUR, tick=False):
            archive(account, record("r1", parent_platform_id="c1"))
        assert row("c1").due_at == T0 + 3 * HOUR + MIN
        assert row("p1").due_at == T0 + 3 * HOUR + MIN, "the thread root too"
        assert row("r1").due_at == T0 + 3 * HOUR + 5 * MIN

    def test_an_early_check_keeps_the_schedule(self, account):
        with time_machine.travel(T0, tick=False):
            archive(account, record("p1", kind="post"))
        rechecks.mark_checked(item_ids=[row("p1").pk], now=T0 + 5 * MIN)
        with time_machine.travel(T0 + 10 * MIN, tick=False):
            archive(account, record("c1", parent_platform_id="p1"))
        assert row("p1").due_at == T0 + 11 * MIN
        rechecks.mark_checked(item_ids=[row("p1").pk], now=T0 + 11 * MIN)
        assert (row("p1").stage, row("p1").due_at) == (1, T0 + HOUR)

    def test_an_item_past_its_schedule_is_checked_once_more_when_a_reply_arrives(self, account):
        with time_machine.travel(T0, tick=False):
            archive(account, record("p1", kind="post"))
        Recheck.objects.all().delete()
        with time_machine.travel(T0 + 40 * DAY, tick=False):
            archive(account, record("c1", parent_platform_id="p1"))
        assert row("p1").due_at == T0 + 40 * DAY + MIN
        rechecks.mark_checked(item_ids=[row("p1").pk], now=T0 + 40 * DAY + MIN)
        assert Recheck.objects.filter(item__platform_id="p1").exists() is False

    def test_a_webhook_naming_an_item_makes_it_due_now(self, account):
        with time_machine.travel(T0, tick=False):
            archive(account, record("c1"))
        rechecks.bring_forward(account=account, platform_ids=["c1"], when=T0 + MIN)
        assert row("c1").due_at == T0 + MIN


class TestClaiming:
    @pytest.fixture
    def due(self, account) -> Account:
        with time_machine.travel(T0, tick=False):
            archive(account, *[record(f"c{i}") for i in range(5)])
        return account

    def test_two_schedulers_never_claim_the_same_item(self, due):
        first = rechecks.claim_due(now=T0 + 5 * MIN)
        second = rechecks.claim_due(now=T0 + 5 * MIN)
        assert list(first) == [due.pk]
        assert len(first[due.pk]) == 5
        assert second == {}

    def test_nothing_is_claimed_before_it_is_due(self, due):
        assert rechecks.claim_due(now=T0 + 4 * MIN) == {}

    def test_a_claim_left_by_a_dead_worker_runs_out(self, due):
        rechecks.claim_due(now=T0 + 5 * MIN)
        assert rechecks.claim_due(now=T0 + 6 * MIN) == {}
        again = rechecks.claim_due(now=T0 + 5 * MIN + rechecks.CLAIM_LEASE + MIN)
        assert len(again[due.pk]) == 5

    def test_accounts_that_cannot_be_read_are_not_claimed_but_their_items_turn_overdue(self, due):
        Account.objects.filter(pk=due.pk).update(status=Account.Status.NEEDS_RECONNECT)
        assert rechecks.claim_due(now=T0 + HOUR) == {}
        assert rechecks.overdue_count(account=due, now=T0 + HOUR) == 5


def test_overdue_re_checks_are_logged_per_account(account, caplog):
    with time_machine.travel(T0, tick=False):
        archive(account, record("c1"), record("c2"))
    with caplog.at_level("WARNING", logger="civicdesk.archive.rechecks"):
        assert rechecks.log_overdue(now=T0 + HOUR) == 2
    assert f"{account.display_name}: 2 items are overdue for their re-check" in caplog.text
