from __future__ import annotations

import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from civicdesk.archive.hashing import chain_hash
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import ArchiveSeal, Item, ItemVersion
from civicdesk.archive.sealing import seal_archive
from civicdesk.archive.verify import verify_archive
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db


def store(account, records):
    with transaction.atomic():
        store_records(account=account, records=records, source="poll")


def tamper(sql: str, params=()):
    """What someone with superuser access to the database could do: lift the guard and change rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER archive_itemversion_no_update")
            cursor.execute("DROP TRIGGER archive_itemversion_no_delete")
            cursor.execute(sql, params)
        else:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")


class TestVerifyArchive:
    def test_an_untouched_archive_is_intact(self, capsys):
        store(AccountFactory.create(), [record(f"c{n}", f"text {n}") for n in range(20)])
        call_command("verify_archive")
        assert "The archive is intact" in capsys.readouterr().out

    def test_an_altered_text_is_found(self):
        store(AccountFactory.create(), [record("c1", "Original words")])
        tamper("UPDATE archive_itemversion SET content = REPLACE(content, 'Original', 'Altered')")
        report = verify_archive()
        assert report.is_intact is False
        assert "content does not match its SHA-256" in str(report.problems[0])

    def test_a_rewritten_version_with_a_fresh_hash_still_breaks_the_chain(self):
        account = AccountFactory.create()
        store(account, [record("c1", "v1")])
        store(account, [record("c1", "v2")])
        # A careful forger recomputes the content hash and the version's own chain hash;
        # the next version still links to the original.
        first = ItemVersion.objects.get(seq=1)
        forged = '{"text":"forged"}'
        forged_sha = hashlib.sha256(forged.encode()).hexdigest()
        tamper(
            "UPDATE archive_itemversion SET content = %s, content_sha256 = %s, chain_hash = %s WHERE seq = 1",
            [forged, forged_sha, chain_hash(first.prev_chain_hash, forged_sha, first.observed_at)],
        )
        problems = [str(p) for p in verify_archive().problems]
        assert not any("version 1:" in p for p in problems)
        assert any("version 2: does not link to the previous version" in p for p in problems)

    def test_a_removed_version_is_found_and_the_command_fails(self, capsys):
        account = AccountFactory.create()
        store(account, [record("c1", "v1")])
        store(account, [record("c1", "v2")])
        first = ItemVersion.objects.get(seq=1)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE archive_item SET latest_version_id = %s", [first.pk])
        tamper("DELETE FROM archive_itemversion WHERE seq = 2")
        with pytest.raises(CommandError, match="The archive has been altered"):
            call_command("verify_archive")
        assert (
            "the pages show version count 2, but its archived versions say 1"
            in capsys.readouterr().err
        )

    def test_a_whole_item_removed_after_it_was_sealed_is_found(self):
        account = AccountFactory.create()
        store(account, [record("c1", "keep"), record("c2", "remove")])
        assert len(seal_archive()) == 1
        assert seal_archive() == []
        doomed = Item.objects.get(platform_id="c2")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE archive_item SET latest_version_id = NULL WHERE id = %s", [doomed.pk]
            )
        tamper("DELETE FROM archive_itemversion WHERE item_id = %s", [doomed.pk])
        Item.objects.filter(pk=doomed.pk).delete()
        report = verify_archive()
        assert ArchiveSeal.objects.count() == 1
        assert any("sealed 2 versions, the archive now holds 1" in str(p) for p in report.problems)

    def test_columns_cut_to_length_or_stored_from_a_naive_time_still_match(self):
        from datetime import datetime

        account = AccountFactory.create()
        long_name = "N\x00" + "x" * 300
        with pytest.warns(RuntimeWarning, match="naive datetime"):
            store(
                account,
                [
                    record(
                        "c1",
                        author_name=long_name,
                        language="x" * 40,
                        url="https://example.com/" + "p" * 2100,
                        created_at=datetime(2026, 3, 8, 2, 30),
                    )
                ],
            )
        store(account, [record("c1", "edited", author_name=long_name)])
        assert verify_archive().problems == []
        item = Item.objects.get()
        assert len(item.author_name) == 255 and "\x00" not in item.author_name
        tamper("UPDATE archive_item SET author_name = %s", [long_name[:255].replace("\x00", "?")])
        assert "the pages show author name" in str(verify_archive().problems[0])
