from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicdesk.archive.importers import ArchiveFormatError, import_archive
from civicdesk.archive.models import ArchiveImport, Item, ItemVersion
from civicdesk.archive.verify import verify_archive
from civicdesk.connectors.base import ItemKind, Platform
from civicdesk.core.models import AuditEvent
from civicdesk.testing.factories import AccountFactory

pytestmark = pytest.mark.django_db

ARCHIVES = Path(__file__).parent / "archives"


def zip_folder(folder: Path, target: Path, *, inside: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, f"{inside}{path.relative_to(folder).as_posix()}")
    return target


def item(platform_id: str) -> Item:
    return Item.objects.select_related("latest_version").get(platform_id=platform_id)


def counts() -> tuple[int, int]:
    return Item.objects.count(), ItemVersion.objects.count()


@pytest.fixture
def x_account(agency):
    return AccountFactory.create(
        unit=agency.district_office,
        platform=Platform.X,
        handle="RiverbendUSD",
        display_name="Riverbend USD",
    )


class TestXArchive:
    def test_imports_posts_replies_media_and_deleted_tweets_from_the_zip(
        self, agency, x_account, tmp_path
    ):
        archive = zip_folder(ARCHIVES / "x", tmp_path / "twitter.zip", inside="twitter-2024/")
        run = import_archive(
            account=x_account, archive_format="x", path=archive, by=agency.district_admin
        )

        post = item("1757000000000000000")
        assert post.kind == ItemKind.POST
        assert post.latest_version.text == (
            "Schools open on a 2-hour delay today. #SnowDay https://t.co/abcDEF1234"
        )
        assert post.created_at == datetime(2024, 2, 12, 12, 30, tzinfo=UTC)
        assert post.latest_version.data["media"] == [
            {
                "url": "https://pbs.twimg.com/media/GGsnowDayXYZ.jpg",
                "kind": "image",
                "alt_text": "A snow plow clearing the bus loop in front of Riverbend High.",
            }
        ]
        assert post.latest_version.source == ItemVersion.Source.IMPORT
        assert post.is_by_account is True
        reply = item("1757000000000000001")
        assert reply.kind == ItemKind.REPLY
        assert reply.parent_platform_id == "1757000000000000000"
        assert reply.thread_platform_id == "1757000000000000000"
        assert reply.latest_version.text == ("Buses run 2 hours late & breakfast is served <8am>.")
        welcome = item("1700000000000000000")
        assert welcome.created_at == datetime(2023, 9, 9, 12, 0, tzinfo=UTC)
        assert welcome.language == "es"
        assert welcome.latest_version.text == "¡Bienvenidos al nuevo año escolar! 🎒"
        deleted = item("1756000000000000000")
        assert deleted.is_deleted is True
        assert deleted.latest_version.is_deletion is True
        assert deleted.latest_version.text == "Schools are closed Monday (posted in error)"

        assert (run.status, run.items_read, run.new_items, run.new_versions, run.deletions) == (
            ArchiveImport.Status.SUCCEEDED,
            4,
            4,
            4,
            1,
        )
        assert run.started_by == agency.district_admin
        assert run.file_name == "twitter.zip"
        assert run.file_size == archive.stat().st_size
        assert len(run.file_sha256) == 64
        event = AuditEvent.objects.get(action="archive.imported")
        assert event.actor == agency.district_admin
        assert event.data["new_items"] == 4
        assert verify_archive().is_intact is True

    def test_importing_the_same_archive_twice_adds_nothing(self, x_account, tmp_path):
        folder = ARCHIVES / "x"
        import_archive(account=x_account, archive_format="x", path=folder)
        before = counts()
        again = import_archive(
            account=x_account, archive_format="x", path=zip_folder(folder, tmp_path / "a.zip")
        )
        single = import_archive(
            account=x_account, archive_format="x", path=folder / "data" / "tweets.js"
        )
        assert counts() == before
        assert (again.new_items, again.new_versions, again.unchanged) == (0, 0, 4)
        assert (single.items_read, single.new_versions, single.unchanged) == (3, 0, 3)

    def test_a_truncated_tweets_js_names_the_byte_and_line_and_imports_nothing(
        self, x_account, tmp_path
    ):
        text = (ARCHIVES / "x" / "data" / "tweets.js").read_bytes()
        cut = tmp_path / "tweets.js"
        cut.write_bytes(text[: text.index(b'"full_text" : "Schools open') + 30])
        with pytest.raises(ArchiveFormatError) as raised:
            import_archive(account=x_account, archive_format="x", path=cut)
        message = str(raised.value)
        assert message.startswith("tweets.js, byte ")
        assert "(line 98)" in message
        assert "unterminated string" in message
        assert "cut short" in message
        assert counts() == (0, 0)
        run = ArchiveImport.objects.get()
        assert run.status == ArchiveImport.Status.FAILED
        assert run.error == message
        assert AuditEvent.objects.filter(action="archive.import_failed").count() == 1

    def test_a_missing_comma_is_located_exactly(self, x_account, tmp_path):
        broken = tmp_path / "tweets.js"
        broken.write_text(
            'window.YTD.tweets.part0 = [\n  {"tweet": {"id_str": "1", "full_text": "a",'
            ' "created_at": "Mon Feb 12 12:45:00 +0000 2024"}}\n  {"tweet": {}}\n]'
        )
        with pytest.raises(ArchiveFormatError) as raised:
            import_archive(account=x_account, archive_format="x", path=broken)
        assert str(raised.value) == (
            "tweets.js, byte 125 (line 3): expected ',' or ']' after entry 1, found '{'"
        )

    def test_an_unreadable_date_names_the_entry(self, x_account, tmp_path):
        broken = tmp_path / "tweets.js"
        broken.write_text(
            'window.YTD.tweets.part0 = [\n{"tweet": {"id_str": "1", "created_at": "yesterday"}}\n]'
        )
        with pytest.raises(ArchiveFormatError) as raised:
            import_archive(account=x_account, archive_format="x", path=broken)
        assert str(raised.value) == (
            "tweets.js, byte 28 (line 2): entry 1: created_at 'yesterday' is not a time like "
            "'Sat Aug 12 16:10:37 +0000 2023'"
        )

    def test_a_zip_cut_short_is_refused(self, x_account, tmp_path):
        whole = zip_folder(ARCHIVES / "x", tmp_path / "whole.zip").read_bytes()
        cut = tmp_path / "cut.zip"
        cut.write_bytes(whole[: len(whole) // 2])
        with pytest.raises(ArchiveFormatError, match="cut.zip: is not a complete zip file"):
            import_archive(account=x_account, archive_format="x", path=cut)

    def test_a_folder_without_tweets_is_refused(self, x_account, tmp_path):
        with pytest.raises(ArchiveFormatError) as raised:
            import_archive(account=x_account, archive_format="x", path=tmp_path)
        assert "does not look like an X / Twitter archive: data/tweets.js not found" in str(
            raised.value
        )

    def test_an_x_archive_cannot_go_into_a_facebook_account(self, agency):
        with pytest.raises(ValueError, match="can only be imported into a X account"):
            import_archive(account=agency.district_account, archive_format="x", path=ARCHIVES / "x")
        assert ArchiveImport.objects.count() == 0


class TestMastodonExport:
    @pytest.fixture
    def account(self, agency):
        return AccountFactory.create(
            unit=agency.district_office,
            platform=Platform.MASTODON,
            handle="riverbendusd",
            display_name="Riverbend USD",
        )

    def test_imports_posts_replies_and_messages_and_skips_boosts(self, account):
        run = import_archive(
            account=account, archive_format="mastodon", path=ARCHIVES / "mastodon" / "outbox.json"
        )
        post = item("111900000000000001")
        assert post.kind == ItemKind.POST
        assert post.latest_version.text == (
            "Schools open on a 2-hour delay today & buses run late.\n\nStay safe #SnowDay"
        )
        assert post.latest_version.data["media"][0]["alt_text"] == (
            "A snow plow clearing the bus loop."
        )
        assert post.url == "https://social.riverbend.example/@riverbendusd/111900000000000001"
        assert post.language == "en"
        reply = item("111900000000000002")
        assert reply.kind == ItemKind.REPLY
        assert reply.parent_platform_id == "111900000000000001"
        assert (
            reply.latest_version.text == "Update: breakfast is still served.\nDoors open at 9:30."
        )
        assert reply.latest_version.data["edited_at"] == "2024-02-12T12:50:00+00:00"
        message = item("111900000000000004")
        assert message.kind == ItemKind.MESSAGE
        assert message.parent_platform_id == "https://city.example/users/parent42/statuses/333"
        assert (run.items_read, run.skipped, run.new_items) == (3, 1, 3)

    def test_reads_the_export_tar_gz_and_adds_nothing_the_second_time(self, account, tmp_path):
        archive = tmp_path / "archive-20240213120000-0123abcd.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(ARCHIVES / "mastodon" / "outbox.json", "outbox.json")
            media = b"\xff\xd8 not really a jpeg"
            info = tarfile.TarInfo("media_attachments/files/plow.jpg")
            info.size = len(media)
            tar.addfile(info, io.BytesIO(media))
        first = import_archive(account=account, archive_format="mastodon", path=archive)
        second = import_archive(account=account, archive_format="mastodon", path=archive)
        assert (first.new_items, second.new_items, second.new_versions) == (3, 0, 0)

    def test_an_outbox_without_ordered_items_is_refused(self, account, tmp_path):
        outbox = tmp_path / "outbox.json"
        outbox.write_text('{"type": "OrderedCollection", "totalItems": 0}')
        with pytest.raises(ArchiveFormatError) as raised:
            import_archive(account=account, archive_format="mastodon", path=outbox)
        assert str(raised.value) == (
            "outbox.json, byte 46 (line 1): the file has no list of entries "
            "(looked for 'orderedItems')"
        )


class TestFacebookExport:
    def test_imports_posts_and_comments_with_repaired_text(self, agency):
        account = agency.district_account
        run = import_archive(account=account, archive_format="facebook", path=ARCHIVES / "facebook")
        posts = {i.latest_version.text: i for i in Item.objects.filter(kind=ItemKind.POST)}
        snow = posts["Las escuelas abren con 2 horas de retraso hoy. ¡Cuídense! ❄️"]
        assert snow.created_at == datetime.fromtimestamp(1707741000, UTC)
        assert snow.latest_version.data["edited_at"] == "2024-02-12T12:40:00+00:00"
        assert snow.latest_version.data["media"] == [
            {
                "url": "your_facebook_activity/posts/media/Timelinephotos_1/4242_n.jpg",
                "kind": "image",
                "alt_text": "",
            }
        ]
        assert snow.platform_id.startswith("fb-post-1707741000-")
        calendar = posts["The 2023-24 calendar is online."]
        assert calendar.latest_version.data["media"][0]["kind"] == "link"
        comment = Item.objects.get(kind=ItemKind.COMMENT)
        assert comment.latest_version.text == "Gracias — buses will run 2 hours late too."
        assert comment.author_name == "Riverbend USD"
        assert (run.items_read, run.new_items) == (3, 3)

    def test_importing_twice_adds_nothing(self, agency):
        account = agency.district_account
        import_archive(account=account, archive_format="facebook", path=ARCHIVES / "facebook")
        again = import_archive(
            account=account, archive_format="facebook", path=ARCHIVES / "facebook"
        )
        assert (again.new_items, again.new_versions, again.unchanged) == (0, 0, 3)


class TestInstagramExport:
    def test_imports_posts_with_their_media_and_comments(self, agency):
        account = AccountFactory.create(
            unit=agency.high_school, platform=Platform.INSTAGRAM, handle="riverbendusd"
        )
        run = import_archive(
            account=account, archive_format="instagram", path=ARCHIVES / "instagram"
        )
        posts = {i.latest_version.text: i for i in Item.objects.filter(kind=ItemKind.POST)}
        snow = posts["Snow day! Schools open at 10 ☃️"]
        assert snow.created_at == datetime.fromtimestamp(1707741000, UTC)
        school = posts["First day of school 🎒 at Oak Grove"]
        assert [m["kind"] for m in school.latest_version.data["media"]] == ["image", "video"]
        comment = Item.objects.get(kind=ItemKind.COMMENT)
        assert comment.latest_version.text == "Thank you for asking! Pickup is at 3:15 🚌"
        assert (run.items_read, run.new_items) == (3, 3)


class TestCsvFile:
    def test_imports_rows_with_threads_media_and_deletions(self, agency):
        account = agency.district_account
        run = import_archive(
            account=account, archive_format="csv", path=ARCHIVES / "csv" / "items.csv"
        )
        post = item("p-100")
        assert post.created_at == datetime(2024, 2, 12, 12, 30, tzinfo=UTC)
        assert post.latest_version.text == (
            "Schools open on a 2-hour delay today.\nBuses run 2 hours late."
        )
        assert [m["alt_text"] for m in post.latest_version.data["media"]] == [
            "A snow plow clearing the bus loop.",
            "Map of delayed routes.",
        ]
        assert item("c-101").latest_version.text == 'Is breakfast still served, "as usual"?'
        assert item("r-102").thread_platform_id == "p-100"
        assert item("c-103").is_deleted is True
        assert (run.items_read, run.new_items, run.deletions) == (4, 4, 1)

    @pytest.mark.parametrize(
        ("row", "reason"),
        [
            (
                "x-1,post,yesterday,a,A,hi,,,en,,,false",
                "created_at 'yesterday' is not an ISO 8601 time",
            ),
            (
                "x-1,post,2024-02-12T12:30:00,a,A,hi,,,en,,,false",
                "created_at '2024-02-12T12:30:00' has no time zone; add Z for UTC or an offset like -05:00",
            ),
            (
                "x-1,tweet,2024-02-12T12:30:00Z,a,A,hi,,,en,,,false",
                "kind 'tweet' is not one of post, comment, reply, mention, message",
            ),
            ("x-1,post,2024-02-12T12:30:00Z,a,A,hi", "expected 12 columns, found 6"),
            (
                "x-1,post,2024-02-12T12:30:00Z,a,A,hi,,,en,,,fals",
                "is_deleted 'fals' is not true or false",
            ),
        ],
    )
    def test_a_bad_row_names_its_line_and_imports_nothing(self, agency, tmp_path, row, reason):
        good = (ARCHIVES / "csv" / "items.csv").read_text(encoding="utf-8")
        broken = tmp_path / "posts.csv"
        broken.write_text(good + row + "\r\n", encoding="utf-8")
        with pytest.raises(ArchiveFormatError) as raised:
            import_archive(account=agency.district_account, archive_format="csv", path=broken)
        assert str(raised.value) == f"posts.csv, line 8: {reason}"
        assert counts() == (0, 0)

    def test_an_unclosed_quote_at_the_end_is_refused(self, agency, tmp_path):
        good = (ARCHIVES / "csv" / "items.csv").read_text(encoding="utf-8")
        broken = tmp_path / "posts.csv"
        broken.write_text(good + 'x-1,post,2024-02-12T12:30:00Z,a,A,"hi there', encoding="utf-8")
        with pytest.raises(ArchiveFormatError) as raised:
            import_archive(account=agency.district_account, archive_format="csv", path=broken)
        assert str(raised.value) == (
            "posts.csv, line 8: the row starting here cannot be read: unexpected end of data"
        )

    def test_a_wrong_header_is_refused(self, agency, tmp_path):
        broken = tmp_path / "posts.csv"
        broken.write_text("id,text\n1,hi\n")
        with pytest.raises(ArchiveFormatError, match=r"posts.csv, line 1: expected the header"):
            import_archive(account=agency.district_account, archive_format="csv", path=broken)

    def test_bytes_that_are_not_utf8_are_located(self, agency, tmp_path):
        good = (ARCHIVES / "csv" / "items.csv").read_bytes()
        broken = tmp_path / "posts.csv"
        broken.write_bytes(good + b"x-1,post,2024-02-12T12:30:00Z,a,A,caf\xe9,,,en,,,false\r\n")
        with pytest.raises(ArchiveFormatError) as raised:
            import_archive(account=agency.district_account, archive_format="csv", path=broken)
        assert str(raised.value) == (
            f"posts.csv, byte {len(good) + 37:,} (line 8): not valid UTF-8 (invalid continuation byte)"
        )


class TestImportCommand:
    def test_prints_a_summary_and_progress(self, agency, x_account):
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "import",
            str(ARCHIVES / "x"),
            account="@riverbendusd",
            format="x",
            by="district_admin",
            stdout=out,
            stderr=err,
        )
        summary = out.getvalue()
        assert "Imported x (X / Twitter archive) into Riverbend USD (X): 4 items read" in summary
        assert (
            "4 new items, 4 new versions (deletions: 1), 0 already archived unchanged." in summary
        )
        assert "File SHA-256 " in summary
        assert "checking" in err.getvalue() and "storing" in err.getvalue()
        assert "4 items" in err.getvalue()
        run = ArchiveImport.objects.get()
        assert run.started_by == agency.district_admin

    def test_reports_a_bad_file_and_exits_with_an_error(self, x_account, tmp_path):
        broken = tmp_path / "tweets.js"
        broken.write_text('window.YTD.tweets.part0 = [ {"tweet": {"id_str": "1"')
        with pytest.raises(CommandError) as raised:
            call_command(
                "import", str(broken), account="RiverbendUSD", format="x", stderr=io.StringIO()
            )
        assert str(raised.value) == (
            "Nothing was imported. tweets.js, byte 52 (line 1): expecting ',' delimiter "
            "(the file ends in the middle of an entry: was it cut short?)"
        )
        assert counts() == (0, 0)

    def test_an_unknown_account_is_named(self, db):
        with pytest.raises(
            CommandError, match="There is no account with the handle or id 'nobody'"
        ):
            call_command("import", str(ARCHIVES / "x"), account="nobody", format="x")

    def test_runs_through_the_console_script_name(self, x_account, tmp_path):
        # `civicdesk import` maps to this command; a copy outside the fixtures keeps it read-only.
        folder = tmp_path / "archive"
        shutil.copytree(ARCHIVES / "x", folder)
        out = io.StringIO()
        call_command("import", str(folder), account=str(x_account.pk), format="x", stdout=out)
        assert "4 new items" in out.getvalue()
