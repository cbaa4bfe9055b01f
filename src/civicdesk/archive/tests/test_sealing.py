from __future__ import annotations

import json
import stat
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from civicdesk.archive.anchoring import anchor_pending_seals, read_anchors, signing_key
from civicdesk.archive.hashing import GENESIS
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import ArchiveSeal, ItemVersion
from civicdesk.archive.sealing import seal_archive
from civicdesk.archive.verify import verify_archive
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db


def store(account, records):
    with transaction.atomic():
        store_records(account=account, records=records, source="poll")


class TestSealArchive:
    def test_each_seal_covers_what_was_stored_since_the_one_before_and_links_to_it(self):
        account = AccountFactory.create()
        store(account, [record("c1"), record("c2")])
        [first] = seal_archive()
        store(account, [record("c1", "edited"), record("c3")])
        [second] = seal_archive()
        assert seal_archive() == []
        assert (first.number, first.version_count, first.prev_digest) == (1, 2, GENESIS)
        assert (second.number, second.version_count, second.prev_digest) == (2, 2, first.digest)
        assert second.first_version_id > first.last_version_id
        assert second.last_version_id == ItemVersion.objects.order_by("pk").last().pk

    def test_every_seal_is_signed_into_the_anchor_file_once(self, settings):
        account = AccountFactory.create()
        for n in range(3):
            store(account, [record(f"c{n}")])
            seal_archive()
        assert anchor_pending_seals() == 0
        anchors = list(read_anchors(settings.ANCHOR_FILE))
        key = signing_key().public_key()
        assert [a.seal for a in anchors] == [1, 2, 3]
        assert all(a.is_signed_by(key) for a in anchors)
        assert [a.digest for a in anchors] == list(
            ArchiveSeal.objects.values_list("digest", flat=True)
        )

    def test_the_key_is_readable_by_its_owner_only(self, settings):
        store(AccountFactory.create(), [record("c1")])
        seal_archive()
        assert stat.S_IMODE(settings.ANCHOR_KEY_FILE.stat().st_mode) == 0o600

    def test_a_seal_lost_before_it_was_anchored_is_anchored_at_the_next_run(self, settings):
        account = AccountFactory.create()
        store(account, [record("c1")])
        seal_archive()
        store(account, [record("c2")])
        seal_archive()
        lines = settings.ANCHOR_FILE.read_text().splitlines(keepends=True)
        # A crash while writing leaves the last line torn.
        settings.ANCHOR_FILE.write_text(lines[0] + lines[1][:40])
        assert anchor_pending_seals() == 1
        assert verify_archive().problems[0].what == (
            "cannot be read: the line was altered or cut short"
        )
        assert [a.seal for a in read_anchors(settings.ANCHOR_FILE) if not isinstance(a, int)] == [
            1,
            2,
        ]

    def test_a_large_backlog_is_sealed_in_several_seals(self, monkeypatch):
        monkeypatch.setattr("civicdesk.archive.sealing.MAX_VERSIONS_PER_SEAL", 4)
        store(AccountFactory.create(), [record(f"c{n}") for n in range(10)])
        assert [s.version_count for s in seal_archive()] == [4, 4, 2]
        assert verify_archive().is_intact is True


class TestCommands:
    def test_seal_archive_says_what_it_sealed(self, capsys, settings):
        store(AccountFactory.create(), [record("c1"), record("c2")])
        call_command("seal_archive")
        assert f"Sealed 2 versions in seal 1, signed into {settings.ANCHOR_FILE}." in (
            capsys.readouterr().out
        )
        call_command("seal_archive")
        assert "Nothing to seal" in capsys.readouterr().out

    def test_the_records_officer_checks_the_archive_against_their_copies(
        self, capsys, tmp_path, settings
    ):
        account = AccountFactory.create()
        store(account, [record("c1"), record("c2")])
        call_command("seal_archive")
        call_command("anchor_key", "--public")
        public_key = tmp_path / "anchor_key.pub"
        public_key.write_text(capsys.readouterr().out)
        kept = tmp_path / "anchors-kept.jsonl"
        kept.write_text(settings.ANCHOR_FILE.read_text())
        store(account, [record("c3")])

        call_command("verify_archive", "--anchors", str(kept), "--public-key", str(public_key))
        out = capsys.readouterr().out
        assert "Checked 3 versions of 3 items" in out
        assert "Checked 1 seals covering 2 versions." in out
        assert "1 versions stored since" in out and "are not sealed yet" in out
        assert f"Checked 1 anchors in {kept}" in out
        assert "The archive is intact" in out

        # A forger with the database and the server's key rewrites the seal and the anchor file.
        ArchiveSeal.objects.update(digest="e" * 64)
        settings.ANCHOR_FILE.write_text("")
        anchor_pending_seals()
        with pytest.raises(CommandError, match="The archive has been altered"):
            call_command("verify_archive", "--anchors", str(kept), "--public-key", str(public_key))
        assert "the database's seal no longer matches its anchor" in capsys.readouterr().err

    def test_an_anchor_signed_with_another_key_is_refused(self, capsys, tmp_path, settings):
        store(AccountFactory.create(), [record("c1")])
        seal_archive()
        other = tmp_path / "other.pub"
        settings.ANCHOR_KEY_FILE = tmp_path / "other_key"
        call_command("anchor_key", "--public")
        other.write_text(capsys.readouterr().out)
        with pytest.raises(CommandError):
            call_command("verify_archive", "--public-key", str(other))
        assert "signed with another key" in capsys.readouterr().err

    def test_an_anchor_line_is_plain_json_naming_its_seal_and_key(self, settings):
        store(AccountFactory.create(), [record("c1")])
        [seal] = seal_archive()
        line = json.loads(settings.ANCHOR_FILE.read_text())
        assert line["seal"] == 1 and line["digest"] == seal.digest
        assert set(line) == {
            "seal",
            "last_version_id",
            "version_count",
            "digest",
            "sealed_at",
            "key",
            "signature",
        }


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_version_committed_after_a_higher_one_is_still_sealed_exactly_once(flushable_archive):
    """PostgreSQL hands out keys before commit; the seal waits for inserts still in flight."""
    account = AccountFactory.create()
    store(account, [record("c0")])
    seal_archive()
    slow_inserted, release = threading.Event(), threading.Event()
    sealed: list[int] = []

    def slow_ingest() -> None:
        with transaction.atomic():
            store_records(account=account, records=[record("slow")], source="poll")
            slow_inserted.set()
            release.wait(10)
        connections.close_all()

    def seal() -> None:
        sealed.extend(s.version_count for s in seal_archive())
        connections.close_all()

    slow = threading.Thread(target=slow_ingest)
    slow.start()
    assert slow_inserted.wait(10)
    store(account, [record("fast")])  # a higher key, committed first
    sealer = threading.Thread(target=seal)
    sealer.start()
    sealer.join(1)
    assert sealer.is_alive(), "the seal waits for the insert in flight"
    release.set()
    slow.join(10)
    sealer.join(10)
    assert sealed == [2]
    assert ArchiveSeal.objects.count() == 2
    assert verify_archive().is_intact is True


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_two_schedulers_sealing_at_once_make_one_seal(flushable_archive):
    store(AccountFactory.create(), [record(f"c{n}") for n in range(50)])
    counts: list[int] = []
    start = threading.Barrier(2)

    def seal() -> None:
        start.wait(5)
        counts.append(len(seal_archive()))
        connections.close_all()

    threads = [threading.Thread(target=seal) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(counts) == [0, 1]
    assert ArchiveSeal.objects.get().version_count == 50


def test_an_archive_never_sealed_verifies_without_a_key(settings):
    store(AccountFactory.create(), [record("c1")])
    assert anchor_pending_seals() == 0
    assert settings.ANCHOR_FILE.exists() and not settings.ANCHOR_KEY_FILE.exists()
    report = verify_archive()
    assert report.problems == []
    assert report.unsealed_versions == 1


def test_a_removed_anchor_key_is_reported(settings):
    store(AccountFactory.create(), [record("c1")])
    seal_archive()
    settings.ANCHOR_KEY_FILE.unlink()
    assert "no anchor signature can be checked" in str(verify_archive().problems[0])
