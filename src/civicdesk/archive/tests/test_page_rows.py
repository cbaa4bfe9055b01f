"""A page is stored with a few set-based statements, and still exactly as one record at a time."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import IntegrityError

from civicdesk.accounts.polling import store_page
from civicdesk.archive import page_rows
from civicdesk.archive.models import Item, ItemVersion, Recheck
from civicdesk.archive.verify import verify_archive
from civicdesk.connectors.base import FetchPage
from civicdesk.core.models import OwedTask
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db


def page(*records, cursor="next", deleted=()):
    return FetchPage(items=list(records), next_cursor=cursor, deleted_ids=list(deleted))


def test_the_same_page_stored_twice_writes_items_entries_rechecks_and_triage_once():
    account = AccountFactory.create()
    records = [record(f"c{n}", f"comment {n}") for n in range(30)]
    first = store_page(account, page(*records, cursor="1"), "poll")
    second = store_page(account, page(*records, cursor="2"), "poll")
    assert (len(first.created_item_ids), first.new_versions) == (30, 30)
    assert (second.created_item_ids, second.new_versions, second.unchanged) == ([], 0, 30)
    assert Item.objects.count() == ItemVersion.objects.count() == 30
    assert Entry.objects.count() == Recheck.objects.count() == 30
    owed_ids = sorted(i for w in OwedTask.objects.all() for i in w.kwargs["version_ids"])
    assert owed_ids == sorted(ItemVersion.objects.values_list("pk", flat=True))
    assert verify_archive().problems == []


def test_an_edit_in_the_page_of_a_new_item_becomes_its_second_version():
    account = AccountFactory.create()
    store_page(account, page(record("old", "Bus 14 is late")), "poll")
    edited = record("old", "Bus 14 is very late")
    report = store_page(account, page(record("new", "Is school open?"), edited), "poll")
    old, new = Item.objects.get(platform_id="old"), Item.objects.get(platform_id="new")
    assert report.created_item_ids == [new.pk] and report.new_versions == 2
    assert (old.version_count, old.latest_version.text) == (2, "Bus 14 is very late")
    first, second = old.versions.order_by("seq")
    assert second.prev_chain_hash == first.chain_hash
    assert (new.version_count, new.latest_version.seq) == (1, 1)
    assert Entry.objects.count() == 2, "the edit adds no second inbox entry"
    assert verify_archive().problems == []


def test_a_new_item_and_its_edit_in_one_page_are_one_item_with_two_versions():
    account = AccountFactory.create()
    original = record("c1", "v1", author_name="First name")
    store_page(account, page(original, replace(original, text="v2", author_name="Later")), "poll")
    item = Item.objects.get()
    assert [v.text for v in item.versions.order_by("seq")] == ["v1", "v2"]
    assert (item.version_count, item.latest_version.text, item.author_name) == (2, "v2", "Later")
    owed = [i for w in OwedTask.objects.all() for i in w.kwargs["version_ids"]]
    assert sorted(owed) == sorted(item.versions.values_list("pk", flat=True))


def test_a_page_that_fails_half_way_leaves_nothing_written(monkeypatch):
    account = AccountFactory.create()

    def broken(rows):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(page_rows, "insert_versions", broken)
    with pytest.raises(RuntimeError, match="worker killed"):
        store_page(account, page(record("c1"), record("c2"), cursor="1"), "poll")
    account.refresh_from_db()
    assert account.cursor == ""
    assert not Item.objects.exists() and not ItemVersion.objects.exists()
    assert not Entry.objects.exists() and not Recheck.objects.exists()
    assert not OwedTask.objects.exists()
    monkeypatch.undo()
    store_page(account, page(record("c1"), record("c2"), cursor="1"), "poll")
    assert Item.objects.count() == 2 and verify_archive().problems == []


def test_an_item_stored_concurrently_is_refused_and_the_page_rolled_back(monkeypatch):
    """As when a push stores an item between a poll's read and its write: polling retries."""
    account = AccountFactory.create()
    store_page(account, page(record("c1"), cursor="1"), "poll")
    monkeypatch.setattr(page_rows, "latest_versions", lambda **kwargs: [])  # it was not seen
    with pytest.raises(IntegrityError):
        store_page(account, page(record("c2"), record("c1", "changed"), cursor="2"), "poll")
    account.refresh_from_db()
    assert account.cursor == "1"
    assert list(Item.objects.values_list("platform_id", flat=True)) == ["c1"]
    assert ItemVersion.objects.count() == Entry.objects.count() == 1


def test_an_edit_stored_concurrently_is_refused_and_the_page_rolled_back(monkeypatch):
    """Two writers read version 1 and both store a version 2: the second is refused, whatever
    time each observed it at (on PostgreSQL the unique key on (item, seq) includes that time)."""
    account = AccountFactory.create()
    store_page(account, page(record("c1"), cursor="1"), "poll")
    read_first = page_rows.latest_versions(account_id=account.pk, platform_ids=["c1"])
    store_page(account, page(record("c1", "edited by a push"), cursor="1"), "poll")
    monkeypatch.setattr(page_rows, "latest_versions", lambda **kwargs: read_first)
    with pytest.raises(IntegrityError):
        store_page(account, page(record("c1", "edited by the poll"), cursor="2"), "poll")
    account.refresh_from_db()
    assert account.cursor == "1"
    assert list(ItemVersion.objects.values_list("seq", flat=True)) == [1, 2]
    assert verify_archive().problems == []


def test_the_statements_of_a_page_do_not_grow_with_it(django_assert_max_num_queries):
    account = AccountFactory.create()
    store_page(account, page(record("warm")), "poll")
    with django_assert_max_num_queries(14):
        store_page(account, page(*[record(f"c{n}", f"comment {n}") for n in range(400)]), "poll")
    assert Entry.objects.count() == 401
