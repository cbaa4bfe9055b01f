from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.accounts.polling import claim_due_accounts, lease, poll_account
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import AccountFactory, replay_account, write_replay

pytestmark = pytest.mark.django_db


def events(n, **extra):
    return [
        {
            "id": f"c{i}",
            "kind": "comment",
            "text": f"comment {i}",
            "offset_s": -1000 + i,
            "author": {"handle": f"parent{i}"},
            **extra,
        }
        for i in range(n)
    ]


class TestPollAccount:
    def test_a_poll_archives_everything_new_and_fills_the_inbox(self, tmp_path):
        path = write_replay(
            tmp_path / "feed.jsonl",
            [
                {
                    "id": "p1",
                    "kind": "post",
                    "text": "Snow day",
                    "offset_s": -2000,
                    "author": {"handle": "RiverbendUSD"},
                },
                *events(30, parent_id="p1"),
            ],
        )
        account = replay_account(path, handle="RiverbendUSD")
        result = poll_account(account_id=account.pk, page_size=7)
        assert result.pages == 5
        assert Item.objects.count() == 31
        assert Entry.objects.count() == 30, "the agency's own post needs no answer"
        account.refresh_from_db()
        assert account.cursor.endswith(":31")
        assert account.poll_lease_until is None
        assert account.next_poll_at > timezone.now()

    def test_a_long_poll_hands_the_worker_back_and_is_due_again_at_once(
        self, tmp_path, monkeypatch
    ):
        from civicdesk.accounts import polling

        monkeypatch.setattr(polling, "POLL_BUDGET_SECONDS", 0.0)
        account = replay_account(write_replay(tmp_path / "feed.jsonl", events(30)))
        result = poll_account(account_id=account.pk, page_size=7)
        assert result.pages == 1 and Item.objects.count() == 7
        account.refresh_from_db()
        assert account.next_poll_at <= timezone.now()  # the rest is read on the next turn
        while poll_account(account_id=account.pk, page_size=7).pages:
            if Item.objects.count() == 30:
                break
        assert Item.objects.count() == 30

    def test_polling_again_adds_nothing(self, tmp_path):
        account = replay_account(write_replay(tmp_path / "feed.jsonl", events(10)))
        poll_account(account_id=account.pk)
        Account.objects.filter(pk=account.pk).update(cursor="")  # as if the cursor were lost
        again = poll_account(account_id=account.pk)
        assert again.report.new_versions == 0
        assert ItemVersion.objects.count() == 10
        assert Entry.objects.count() == 10

    def test_a_broken_file_stops_at_the_bad_line_and_keeps_what_came_before(self, tmp_path):
        path = write_replay(tmp_path / "feed.jsonl", events(3))
        with path.open("a") as out:
            out.write("{oops\n")
        account = replay_account(path)
        result = poll_account(account_id=account.pk, page_size=2)
        account.refresh_from_db()
        assert Item.objects.count() == 2, "the first full page was committed before the bad line"
        assert account.status == Account.Status.ERROR
        assert (
            result.error
            == account.last_error
            == "feed.jsonl, line 4: not valid JSON (Expecting property name enclosed in double quotes at column 2)"
        )


class TestClaimDueAccounts:
    def test_an_account_is_leased_to_one_poller_at_a_time(self):
        account = AccountFactory.create(next_poll_at=timezone.now() - timedelta(seconds=1))
        assert list(claim_due_accounts()) == [account.pk]
        assert not claim_due_accounts()

    def test_a_lease_left_by_a_dead_worker_runs_out(self):
        account = AccountFactory.create(next_poll_at=timezone.now() - timedelta(seconds=1))
        claim_due_accounts()
        later = timezone.now() + lease() + timedelta(seconds=1)
        assert list(claim_due_accounts(now=later)) == [account.pk]

    def test_accounts_needing_reconnect_are_not_polled(self):
        AccountFactory.create(next_poll_at=timezone.now(), status=Account.Status.NEEDS_RECONNECT)
        assert not claim_due_accounts()
