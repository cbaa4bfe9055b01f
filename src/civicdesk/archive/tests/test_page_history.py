"""A page that holds several states of one item, stored twice, writes its history once."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import transaction

from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.archive.verify import verify_archive
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db


def store(account, records, deleted=()):
    with transaction.atomic():
        return store_records(account=account, records=records, deleted_ids=deleted, source="poll")


def texts(item_id):
    return [
        (v.data.get("text"), bool(v.data.get("is_deleted")))
        for v in ItemVersion.objects.filter(item_id=item_id).order_by("seq")
    ]


def test_a_page_with_an_original_and_its_edit_stored_twice_writes_two_versions():
    account = AccountFactory.create()
    original = record("c1", "Bus 14 is late")
    page = [original, replace(original, text="Bus 14 is very late")]
    store(account, page)
    again = store(account, page)
    item = Item.objects.get()
    assert texts(item.pk) == [("Bus 14 is late", False), ("Bus 14 is very late", False)]
    assert again.new_versions == 0
    assert item.version_count == 2
    assert verify_archive().is_intact


def test_an_edit_and_a_deletion_on_one_page_stored_twice_keep_one_history():
    account = AccountFactory.create()
    original = record("c1", "Call me at home")
    page = [original, replace(original, text="Call the office")]
    store(account, page, deleted=["c1"])
    store(account, page, deleted=["c1"])
    item = Item.objects.get()
    assert texts(item.pk) == [
        ("Call me at home", False),
        ("Call the office", False),
        ("Call the office", True),
    ]
    assert item.is_deleted


def test_an_old_page_stored_after_a_newer_edit_does_not_roll_the_item_back():
    account = AccountFactory.create()
    original = record("c1", "v1")
    first_page = [original, replace(original, text="v2")]
    store(account, first_page)
    store(account, [replace(original, text="v3")])
    store(account, first_page)
    assert texts(Item.objects.get().pk) == [("v1", False), ("v2", False), ("v3", False)]


def test_the_rest_of_a_page_after_what_is_already_stored_is_written():
    account = AccountFactory.create()
    original = record("c1", "v1")
    store(account, [original, replace(original, text="v2")])
    store(account, [original, replace(original, text="v2"), replace(original, text="v3")])
    assert [t for t, _ in texts(Item.objects.get().pk)] == ["v1", "v2", "v3"]


def test_an_edit_back_to_earlier_words_is_still_recorded():
    account = AccountFactory.create()
    original = record("c1", "Meeting at 6")
    store(account, [original])
    store(account, [replace(original, text="Meeting at 7")])
    store(account, [original])
    assert [t for t, _ in texts(Item.objects.get().pk)] == [
        "Meeting at 6",
        "Meeting at 7",
        "Meeting at 6",
    ]
