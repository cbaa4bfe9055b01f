from __future__ import annotations

import json
from dataclasses import replace

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import ImmutableVersion, Item, ItemVersion
from civicdesk.archive.verify import verify_archive
from civicdesk.connectors.base import ItemKind, MediaRef
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db


def store(account, records, deleted=()):
    with transaction.atomic():
        return store_records(account=account, records=records, deleted_ids=deleted, source="poll")


class TestIngest:
    def test_first_capture_creates_an_item_and_its_first_version(self):
        account = AccountFactory.create()
        report = store(
            account,
            [
                record(
                    "c1", "When do buses run?", media=(MediaRef("https://x/1.jpg", alt_text="bus"),)
                )
            ],
        )
        item = Item.objects.get()
        assert report.new_versions == 1
        assert report.created_item_ids == [item.pk]
        assert item.version_count == 1
        assert item.latest_version.seq == 1
        assert item.latest_version.data["text"] == "When do buses run?"
        assert item.latest_version.data["media"] == [
            {"url": "https://x/1.jpg", "kind": "image", "alt_text": "bus"}
        ]
        assert item.latest_version.prev_chain_hash == "0" * 64

    def test_replaying_the_same_input_twice_writes_nothing_twice(self):
        account = AccountFactory.create()
        records = [record(f"c{n}", f"comment {n}") for n in range(50)]
        store(account, records)
        second = store(account, records)
        assert second.new_versions == 0
        assert second.unchanged == 50
        assert Item.objects.count() == 50
        assert ItemVersion.objects.count() == 50

    def test_an_edit_becomes_a_new_version_chained_to_the_first(self):
        account = AccountFactory.create()
        original = record("c1", "Bus 14 is late")
        store(account, [original])
        store(account, [replace(original, text="Bus 14 is very late")])
        first, second = ItemVersion.objects.order_by("seq")
        assert (first.text, second.text) == ("Bus 14 is late", "Bus 14 is very late")
        assert second.prev_chain_hash == first.chain_hash
        assert Item.objects.get().version_count == 2

    def test_a_vanished_item_is_recorded_as_deleted_and_keeps_its_words(self):
        account = AccountFactory.create()
        store(account, [record("c1", "Something to delete")])
        report = store(account, [], deleted=["c1"])
        item = Item.objects.get()
        assert report.deletions == 1
        assert item.is_deleted is True
        assert item.latest_version.is_deletion is True
        assert item.latest_version.text == "Something to delete"
        assert store(account, [], deleted=["c1"]).deletions == 0

    def test_several_states_of_one_item_in_one_batch_become_consecutive_versions(self):
        account = AccountFactory.create()
        original = record("c1", "v1")
        store(account, [original, replace(original, text="v2"), replace(original, text="v3")])
        assert list(ItemVersion.objects.values_list("seq", flat=True)) == [1, 2, 3]
        assert verify_archive().is_intact is True

    def test_a_reply_joins_its_parents_thread(self):
        account = AccountFactory.create()
        store(account, [record("p1", "Post", kind=ItemKind.POST)])
        store(account, [record("c1", "Comment", parent_platform_id="p1")])
        store(account, [record("r1", "Reply", parent_platform_id="c1", kind=ItemKind.REPLY)])
        assert Item.objects.get(platform_id="r1").thread_platform_id == "p1"

    def test_the_accounts_own_posts_are_marked_as_its_own(self):
        account = AccountFactory.create(handle="@RiverbendUSD")
        store(account, [record("p1", "Snow day", author_handle="riverbendusd", kind=ItemKind.POST)])
        assert Item.objects.get().is_by_account is True

    def test_the_same_platform_id_on_two_accounts_is_two_items(self):
        first, second = AccountFactory.create(), AccountFactory.create()
        store(first, [record("m1", "@both hello")])
        store(second, [record("m1", "@both hello")])
        assert Item.objects.count() == 2
        assert verify_archive().is_intact is True


HOSTILE = [
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "Trust me \u202egnp.exe\u202c and \u200b\u200c\u200d\ufeff zero widths",
    "NUL \x00 byte and control \x07 chars",
    "emoji 👩🏽‍🚒🏳️‍🌈 and combining Z̸̢̛a̵l̴g̷o",
    "x" * 100_000,
    "\ud7ff\ue000\U0010fffd edge code points",
]


class TestHostileText:
    def test_hostile_text_is_archived_exactly_and_verifies(self):
        account = AccountFactory.create()
        when = timezone.now()
        records = [
            record(f"h{n}", text, author_name=text[:300], created_at=when)
            for n, text in enumerate(HOSTILE)
        ]
        store(account, records)
        for n, text in enumerate(HOSTILE):
            version = Item.objects.get(platform_id=f"h{n}").latest_version
            assert version.text == text
        assert verify_archive().is_intact is True
        assert store(account, records).new_versions == 0

    def test_raw_platform_payload_is_kept_verbatim(self):
        account = AccountFactory.create()
        payload = {"id": "c1", "message": "<b>hi</b>\x00", "nested": {"n": [1, 2]}}
        store(account, [record("c1", raw=payload)])
        assert json.loads(ItemVersion.objects.get().raw) == payload


class TestImmutability:
    def test_a_version_cannot_be_saved_again_or_deleted_through_the_model(self):
        store(AccountFactory.create(), [record("c1")])
        version = ItemVersion.objects.get()
        version.content = "{}"
        with pytest.raises(ImmutableVersion):
            version.save()
        with pytest.raises(ImmutableVersion):
            version.delete()
        with pytest.raises(ImmutableVersion):
            ItemVersion.objects.all().update(content="{}")
        with pytest.raises(ImmutableVersion):
            ItemVersion.objects.all().delete()

    def test_the_database_refuses_to_change_a_version(self):
        store(AccountFactory.create(), [record("c1")])
        from django.db import DatabaseError, connection

        with (
            pytest.raises(DatabaseError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE archive_itemversion SET content = '{}'")
        with (
            pytest.raises(DatabaseError, match="deleted|immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM archive_itemversion")
        assert ItemVersion.objects.count() == 1

    def test_a_second_first_version_of_one_item_is_refused(self):
        store(AccountFactory.create(), [record("c1")])
        existing = ItemVersion.objects.get()
        with pytest.raises(IntegrityError), transaction.atomic():
            ItemVersion.objects.create(
                item=existing.item,
                seq=1,
                observed_at=existing.observed_at,
                source="poll",
                content="{}",
                content_sha256="a" * 64,
                prev_chain_hash="0" * 64,
                chain_hash="b" * 64,
            )
