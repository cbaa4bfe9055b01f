from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from civicdesk.accounts.models import Account
from civicdesk.archive.models import LedgerDay
from civicdesk.core.scheduler import run_due_work
from civicdesk.testing.factories import AccountFactory, replay_account, write_replay

pytestmark = pytest.mark.django_db


class TestScheduler:
    def test_due_polls_are_enqueued_once_and_the_rest_wait(self):
        due = AccountFactory(next_poll_at=timezone.now() - timedelta(seconds=5))
        AccountFactory(next_poll_at=timezone.now() + timedelta(minutes=5))
        assert run_due_work(seal=False) == {"polls": 1, "recaptures": 0, "sealed_days": 0}
        assert run_due_work(seal=False) == {"polls": 0, "recaptures": 0, "sealed_days": 0}
        task = DBTaskResult.objects.get()
        assert task.task_path == "civicdesk.accounts.tasks.poll_account"
        assert task.args_kwargs["kwargs"] == {"account_id": due.pk}

    def test_nothing_is_forgotten_across_a_restart(self):
        """Due times live in the database: a fresh scheduler process sees what the old one left."""
        AccountFactory(next_poll_at=timezone.now() - timedelta(hours=3))
        call_command("scheduler", "--once")
        assert DBTaskResult.objects.count() == 1

    def test_a_finished_day_is_sealed(self, tmp_path):
        import time_machine

        account = replay_account(
            write_replay(tmp_path / "f.jsonl", [{"id": "c1", "text": "hi", "offset_s": -1}])
        )
        from civicdesk.accounts.polling import poll_account

        with time_machine.travel(timezone.now() - timedelta(days=2)):
            poll_account(account_id=account.pk)
        Account.objects.update(next_poll_at=timezone.now() + timedelta(hours=1))
        assert run_due_work(seal=True)["sealed_days"] == 1
        assert LedgerDay.objects.get().version_count == 1


def test_serve_streams_only_live_mastodon_accounts(tmp_path):
    from civicdesk.core.management.commands.serve import streamed_accounts_exist

    assert streamed_accounts_exist() is False
    replay_account(write_replay(tmp_path / "f.jsonl", []), platform="mastodon")
    assert streamed_accounts_exist() is False, "a replayed account has no stream"
    AccountFactory(platform="mastodon", options={"instance": "https://mastodon.example"})
    assert streamed_accounts_exist() is True
