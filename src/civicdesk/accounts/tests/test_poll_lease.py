"""One account is polled by one worker at a time, and a page commits only under its lease."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.accounts.polling import (
    LeaseLost,
    claim_due_accounts,
    lease,
    poll_account,
    store_page,
)
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.connectors.base import FetchPage
from civicdesk.testing.factories import record, replay_account, write_replay

pytestmark = pytest.mark.django_db


def feed(tmp_path, n=5):
    return write_replay(
        tmp_path / "feed.jsonl",
        [{"id": f"c{i}", "text": f"comment {i}", "offset_s": -100 + i} for i in range(n)],
    )


def test_a_second_poll_of_an_account_being_polled_is_skipped(tmp_path):
    account = replay_account(feed(tmp_path))
    Account.objects.filter(pk=account.pk).update(
        poll_lease_until=timezone.now() + lease(), poll_lease_token="someone-else"
    )
    result = poll_account(account_id=account.pk)
    assert result.skipped
    assert Item.objects.count() == 0
    account.refresh_from_db()
    assert account.poll_lease_token == "someone-else", "the running poll keeps its lease"


def test_the_schedulers_lease_is_used_and_released(tmp_path):
    account = replay_account(feed(tmp_path), next_poll_at=timezone.now() - timedelta(seconds=1))
    token = claim_due_accounts()[account.pk]
    result = poll_account(account_id=account.pk, lease_token=token)
    assert not result.skipped
    assert Item.objects.count() == 5
    account.refresh_from_db()
    assert account.poll_lease_until is None
    assert account.poll_lease_token == ""


def test_a_poll_whose_lease_was_handed_on_stores_nothing_more(tmp_path):
    account = replay_account(feed(tmp_path))
    Account.objects.filter(pk=account.pk).update(poll_lease_token="mine")
    account.refresh_from_db()
    Account.objects.filter(pk=account.pk).update(poll_lease_token="the-next-worker")
    page = FetchPage(items=[record("c1")], next_cursor="line:1", has_more=False)
    with pytest.raises(LeaseLost):
        store_page(account, page, "poll", lease_token="mine")
    assert ItemVersion.objects.count() == 0
    assert Account.objects.get(pk=account.pk).cursor == ""


def test_a_page_read_from_a_cursor_that_has_moved_on_is_not_stored(tmp_path):
    """Two workers read the same page from the same cursor: only the first one stores it."""
    account = replay_account(feed(tmp_path))
    first = Account.objects.get(pk=account.pk)
    second = Account.objects.get(pk=account.pk)
    page = FetchPage(
        items=[record("c1", "original"), record("c1", "edited")],
        next_cursor="line:2",
        has_more=False,
    )
    store_page(first, page, "poll")
    with pytest.raises(LeaseLost):
        store_page(second, page, "poll")
    assert ItemVersion.objects.count() == 2
    assert Account.objects.get(pk=account.pk).cursor == "line:2"


def test_a_lease_that_ran_out_while_queued_still_runs_when_nobody_holds_the_account(tmp_path):
    account = replay_account(feed(tmp_path), next_poll_at=timezone.now() - timedelta(seconds=1))
    stale = claim_due_accounts()[account.pk]
    later = timezone.now() + lease() + timedelta(seconds=1)
    claim_due_accounts(now=later)  # the scheduler handed it on while the first poll waited
    Account.objects.filter(pk=account.pk).update(poll_lease_until=None)
    assert not poll_account(account_id=account.pk, lease_token=stale).skipped
    assert Item.objects.count() == 5
