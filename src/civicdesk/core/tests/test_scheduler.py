from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from civicdesk.accounts.models import Account
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import ArchiveSeal
from civicdesk.core.scheduler import run_due_work
from civicdesk.testing.factories import AccountFactory, record, replay_account, write_replay

pytestmark = pytest.mark.django_db


class TestScheduler:
    def test_due_polls_are_enqueued_once_and_the_rest_wait(self):
        due = AccountFactory.create(next_poll_at=timezone.now() - timedelta(seconds=5))
        AccountFactory.create(next_poll_at=timezone.now() + timedelta(minutes=5))
        assert run_due_work(seal=False)["polls"] == 1
        assert run_due_work(seal=False)["polls"] == 0
        task = DBTaskResult.objects.get()
        assert task.task_path == "civicdesk.accounts.tasks.poll_account"
        due.refresh_from_db()
        assert task.args_kwargs["kwargs"] == {
            "account_id": due.pk,
            "lease_token": due.poll_lease_token,
        }

    def test_nothing_is_forgotten_across_a_restart(self):
        """Due times live in the database: a fresh scheduler process sees what the old one left."""
        AccountFactory.create(next_poll_at=timezone.now() - timedelta(hours=3))
        call_command("scheduler", "--once")
        assert DBTaskResult.objects.count() == 1

    def test_what_was_stored_is_sealed_and_anchored(self, tmp_path, settings):
        from civicdesk.accounts.polling import poll_account

        account = replay_account(
            write_replay(tmp_path / "f.jsonl", [{"id": "c1", "text": "hi", "offset_s": -1}])
        )
        poll_account(account_id=account.pk)
        Account.objects.update(next_poll_at=timezone.now() + timedelta(hours=1))
        assert run_due_work(seal=True)["seals"] == 1
        assert run_due_work(seal=True)["seals"] == 0, "nothing new, nothing to seal"
        assert ArchiveSeal.objects.get().version_count == 1
        assert len(settings.ANCHOR_FILE.read_text().splitlines()) == 1

    def test_the_anchors_are_mailed_to_the_records_officer_once_a_day(
        self, settings, smtp_server, run_tasks_now, django_capture_on_commit_callbacks
    ):
        settings.RECORDS_OFFICER_EMAIL = "records@riverbend.example"
        account = AccountFactory.create()
        with transaction.atomic():
            store_records(account=account, records=[record("c1")], source="poll")
        with django_capture_on_commit_callbacks(execute=True):
            run_due_work(seal=True)
        with django_capture_on_commit_callbacks(execute=True):
            run_due_work(seal=True)
        [message] = smtp_server.to("records@riverbend.example")
        assert "Civic Desk archive anchors for" in message["Subject"]
        assert "BEGIN PUBLIC KEY" in message.get_body().get_content()
        [attachment] = list(message.iter_attachments())
        assert attachment.get_payload(decode=True).decode() == settings.ANCHOR_FILE.read_text()

    def test_anchors_not_sent_while_the_mail_server_was_down_are_sent_an_hour_later(
        self, settings, smtp_server, run_tasks_now, django_capture_on_commit_callbacks
    ):
        import time_machine

        settings.RECORDS_OFFICER_EMAIL = "records@riverbend.example"
        with transaction.atomic():
            store_records(account=AccountFactory.create(), records=[record("c1")], source="poll")
        working_port = settings.EMAIL_PORT
        settings.EMAIL_PORT = 9  # nothing listens there
        with django_capture_on_commit_callbacks(execute=True):
            run_due_work(seal=True)
        assert smtp_server.messages == []
        settings.EMAIL_PORT = working_port
        with django_capture_on_commit_callbacks(execute=True):
            run_due_work(seal=True)
        assert smtp_server.messages == [], "not before the hour is up"
        with time_machine.travel(timezone.now() + timedelta(minutes=61)):
            with django_capture_on_commit_callbacks(execute=True):
                run_due_work(seal=True)
        assert len(smtp_server.to("records@riverbend.example")) == 1


def test_serve_streams_only_live_mastodon_accounts(tmp_path):
    from civicdesk.core.management.commands.serve import streamed_accounts_exist

    assert streamed_accounts_exist() is False
    replay_account(write_replay(tmp_path / "f.jsonl", []), platform="mastodon")
    assert streamed_accounts_exist() is False, "a replayed account has no stream"
    AccountFactory.create(platform="mastodon", options={"instance": "https://mastodon.example"})
    assert streamed_accounts_exist() is True
