"""Random archives in every format: what is stored is what was generated, and broken files
store nothing."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicdesk.archive.importers import ArchiveFormatError, import_archive
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.connectors.base import ItemKind, Platform
from civicdesk.testing.factories import AccountFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\x00",
    "👩🏽‍🚒",
    "🏳️‍🌈",
    "&amp;",
    "<",
    '"',
]
text = st.lists(
    st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(HOSTILE)), max_size=40
).map("".join)
# Mastodon content is HTML: line breaks are markup there, so the words carry none.
one_line = st.lists(
    st.one_of(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), st.sampled_from(HOSTILE)),
    max_size=40,
).map("".join)
moment = st.integers(min_value=0, max_value=2_000_000_000).map(
    lambda s: datetime.fromtimestamp(s, UTC)
)
alt_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=20
).map(str.strip)

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Generated:
    text: str
    created_at: datetime
    parent: int | None  # index of an earlier item
    alt_texts: list[str]
    is_deleted: bool = False


@st.composite
def generated_items(draw: Any, words: st.SearchStrategy[str] = text) -> list[Generated]:
    count = draw(st.integers(min_value=1, max_value=8))
    return [
        Generated(
            text=draw(words),
            created_at=draw(moment),
            parent=draw(st.none() | st.integers(0, index - 1)) if index else None,
            alt_texts=draw(st.lists(alt_text, max_size=2)),
            is_deleted=draw(st.booleans()),
        )
        for index in range(count)
    ]


# One builder per format: the archive's files, the file to break, and how an item is found.


@dataclass
class Built:
    files: dict[str, bytes]
    main: str
    platform_ids: list[str | None]  # None where the format derives ids (Meta exports)


def x_archive(items: list[Generated]) -> Built:
    def entry(n: int, item: Generated) -> dict[str, Any]:
        escaped = item.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        tweet: dict[str, Any] = {
            "id_str": str(1000 + n),
            "id": str(1000 + n),
            "created_at": item.created_at.strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "full_text": escaped,
            "favorite_count": "0",
            "lang": "en",
        }
        if item.parent is not None:
            tweet["in_reply_to_status_id_str"] = str(1000 + item.parent)
        if item.alt_texts:
            tweet["extended_entities"] = {
                "media": [
                    {"media_url_https": f"https://pbs.twimg.com/media/{n}_{i}.jpg", "type": "photo"}
                    | ({"ext_alt_text": alt} if alt else {})
                    for i, alt in enumerate(item.alt_texts)
                ]
            }
        return {"tweet": tweet}

    def js(name: str, entries: list[dict[str, Any]]) -> bytes:
        body = json.dumps(entries, ensure_ascii=False, indent=2)
        return f"window.YTD.{name}.part0 = {body}".encode()

    live = [entry(n, i) for n, i in enumerate(items) if not i.is_deleted]
    gone = [entry(n, i) for n, i in enumerate(items) if i.is_deleted]
    files = {"data/tweets.js": js("tweets", live)}
    if gone:
        files["data/deleted-tweets.js"] = js("deleted_tweets", gone)
    return Built(files, "data/tweets.js", [str(1000 + n) for n in range(len(items))])


def mastodon_export(items: list[Generated]) -> Built:
    server = "https://social.example/users/district/statuses/"

    def activity(n: int, item: Generated) -> dict[str, Any]:
        note: dict[str, Any] = {
            "id": f"{server}{500 + n}",
            "type": "Note",
            "published": item.created_at.isoformat().replace("+00:00", "Z"),
            "inReplyTo": f"{server}{500 + item.parent}" if item.parent is not None else None,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "content": f"<p>{html.escape(item.text)}</p>",
            "attachment": [
                {"type": "Document", "mediaType": "image/png", "url": f"m/{n}_{i}.png", "name": alt}
                for i, alt in enumerate(item.alt_texts)
            ],
        }
        return {"id": f"{note['id']}/activity", "type": "Create", "object": note}

    outbox = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "outbox.json",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": [activity(n, i) for n, i in enumerate(items)],
    }
    body = json.dumps(outbox, ensure_ascii=False).encode()
    return Built({"outbox.json": body}, "outbox.json", [str(500 + n) for n in range(len(items))])


def mojibake(value: str) -> str:
    return value.encode("utf-8").decode("latin-1")


def facebook_export(items: list[Generated]) -> Built:
    posts = [
        {
            "timestamp": int(item.created_at.timestamp()),
            "data": [{"post": mojibake(item.text)}],
            "title": "Agency updated their status.",
        }
        for item in items
    ]
    body = json.dumps(posts).encode()  # ASCII with \u00XX escapes, as Facebook writes it
    name = "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json"
    return Built({name: body}, name, [None] * len(items))


def instagram_export(items: list[Generated]) -> Built:
    posts = [
        {
            "media": [
                {
                    "uri": f"media/posts/202401/{n}.jpg",
                    "creation_timestamp": int(item.created_at.timestamp()),
                    "title": mojibake(item.text),
                }
            ]
        }
        for n, item in enumerate(items)
    ]
    name = "your_instagram_activity/content/posts_1.json"
    return Built({name: json.dumps(posts).encode()}, name, [None] * len(items))


def csv_file(items: list[Generated], *, short_row: int | None = None) -> Built:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(
        "platform_id,kind,created_at,author_handle,author_name,text,url,"
        "parent_platform_id,language,media_urls,media_alt_texts,is_deleted".split(",")
    )
    for n, item in enumerate(items):
        writer.writerow(
            [
                f"row-{n}",
                "comment" if item.parent is not None else "post",
                item.created_at.isoformat(),
                "resident",
                "A Resident",
                item.text,
                "",
                f"row-{item.parent}" if item.parent is not None else "",
                "en",
                " ".join(f"https://example.org/{n}_{i}.jpg" for i in range(len(item.alt_texts))),
                "\n".join(item.alt_texts),
                "true" if item.is_deleted else "false",
            ][: 11 if n == short_row else 12]
        )
    return Built(
        {"items.csv": out.getvalue().encode()}, "items.csv", [f"row-{n}" for n in range(len(items))]
    )


@dataclass
class Format:
    name: str
    platform: str
    build: Callable[[list[Generated]], Built]
    words: st.SearchStrategy[str] = text
    has_parents: bool = True
    has_alt_text: bool = True
    has_deletions: bool = True


FORMATS = [
    Format("x", Platform.X, x_archive),
    Format("mastodon", Platform.MASTODON, mastodon_export, one_line, has_deletions=False),
    Format(
        "facebook",
        Platform.FACEBOOK,
        facebook_export,
        has_parents=False,
        has_alt_text=False,
        has_deletions=False,
    ),
    Format(
        "instagram",
        Platform.INSTAGRAM,
        instagram_export,
        has_parents=False,
        has_alt_text=False,
        has_deletions=False,
    ),
    Format("csv", Platform.FACEBOOK, csv_file),
]


def write(folder: Path, built: Built) -> Path:
    for name, body in built.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return folder


def expected_alt_texts(fmt: Format, item: Generated) -> list[str]:
    return item.alt_texts if fmt.has_alt_text else []


def archived(account_id: int) -> tuple[int, int]:
    return (
        Item.objects.filter(account_id=account_id).count(),
        ItemVersion.objects.filter(item__account_id=account_id).count(),
    )


def check_round_trip(fmt: Format, items: list[Generated], tmp_path_factory: Any) -> None:
    if not fmt.has_deletions:
        items = [Generated(i.text, i.created_at, i.parent, i.alt_texts) for i in items]
    if fmt.name in ("facebook", "instagram"):
        # Ids are derived from time and words: two entries alike in both are one post.
        items = list({(i.text, i.created_at): i for i in items}.values())
    built = fmt.build(items)
    folder = write(tmp_path_factory.mktemp(fmt.name), built)
    account = AccountFactory.create(platform=fmt.platform)
    first = import_archive(account=account, archive_format=fmt.name, path=folder)

    stored = list(Item.objects.filter(account=account).select_related("latest_version"))
    assert first.new_items == len(stored)
    if built.platform_ids[0] is None:
        got = sorted((i.latest_version.text, i.created_at) for i in stored)
        assert got == sorted((i.text, i.created_at) for i in items)
    else:
        assert len(stored) == len(items)
        by_id = {i.platform_id: i for i in stored}
        for platform_id, item in zip(built.platform_ids, items, strict=True):
            assert platform_id is not None
            archived_item = by_id[platform_id]
            data = archived_item.latest_version.data
            assert data["text"] == item.text
            assert archived_item.created_at == item.created_at
            assert [m["alt_text"] for m in data["media"]] == expected_alt_texts(fmt, item)
            assert archived_item.is_deleted is item.is_deleted
            assert archived_item.latest_version.is_deletion is item.is_deleted
            if fmt.has_parents and item.parent is not None:
                assert archived_item.parent_platform_id == built.platform_ids[item.parent]
                assert archived_item.kind != ItemKind.POST

    before = archived(account.pk)
    second = import_archive(account=account, archive_format=fmt.name, path=folder)
    assert (second.new_items, second.new_versions) == (0, 0)
    assert archived(account.pk) == before


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_random_archives_round_trip_and_import_once(fmt, tmp_path_factory, db):
    @EXAMPLES
    @given(items=generated_items(fmt.words))
    def run(items: list[Generated]) -> None:
        check_round_trip(fmt, items, tmp_path_factory)

    run()


def check_broken(fmt: Format, built: Built, body: bytes, tmp_path_factory: Any) -> None:
    folder = write(tmp_path_factory.mktemp(fmt.name), built)
    (folder / built.main).write_bytes(body)
    account = AccountFactory.create(platform=fmt.platform)
    everything = (Item.objects.count(), ItemVersion.objects.count())
    with pytest.raises(ArchiveFormatError) as raised:
        import_archive(account=account, archive_format=fmt.name, path=folder)
    message = str(raised.value)
    assert message.startswith(built.main + ", ")
    assert ("byte " in message) or ("line " in message)
    assert (Item.objects.count(), ItemVersion.objects.count()) == everything


JSON_FORMATS = [f for f in FORMATS if f.name != "csv"]


@pytest.mark.parametrize("fmt", JSON_FORMATS, ids=lambda f: f.name)
def test_a_file_cut_at_any_byte_fails_clearly_and_stores_nothing(fmt, tmp_path_factory, db):
    @EXAMPLES
    @given(items=generated_items(fmt.words), data=st.data())
    def run(items: list[Generated], data: Any) -> None:
        built = fmt.build(items)
        body = built.files[built.main]
        cut = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="cut")
        check_broken(fmt, built, body[:cut], tmp_path_factory)

    run()


@pytest.mark.parametrize("fmt", JSON_FORMATS, ids=lambda f: f.name)
def test_a_file_with_one_corrupted_byte_fails_clearly_and_stores_nothing(fmt, tmp_path_factory, db):
    @EXAMPLES
    @given(items=generated_items(fmt.words), data=st.data())
    def run(items: list[Generated], data: Any) -> None:
        built = fmt.build(items)
        body = bytearray(built.files[built.main])
        at = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="at")
        # A control character is invalid anywhere in JSON, and 0xFF anywhere in UTF-8.
        body[at] = data.draw(st.sampled_from([0x01, 0xFF]), label="byte")
        check_broken(fmt, built, bytes(body), tmp_path_factory)

    run()


def test_a_csv_cut_at_any_byte_fails_or_imports_only_whole_rows(tmp_path_factory, db):
    fmt = FORMATS[-1]

    @EXAMPLES
    @given(items=generated_items(), data=st.data())
    def run(items: list[Generated], data: Any) -> None:
        built = fmt.build(items)
        body = built.files[built.main]
        cut = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="cut")
        folder = write(tmp_path_factory.mktemp("csv"), built)
        (folder / built.main).write_bytes(body[:cut])
        account = AccountFactory.create(platform=fmt.platform)
        try:
            import_archive(account=account, archive_format="csv", path=folder)
        except ArchiveFormatError as error:
            assert str(error).startswith("items.csv, ")
            assert archived(account.pk) == (0, 0)
            return
        # A cut exactly between rows leaves a shorter, valid file: only whole rows are stored.
        for stored in Item.objects.filter(account=account).select_related("latest_version"):
            generated = items[int(stored.platform_id.removeprefix("row-"))]
            assert stored.latest_version.text == generated.text
            assert stored.is_deleted is generated.is_deleted

    run()


def test_a_csv_with_a_broken_row_fails_clearly_and_stores_nothing(tmp_path_factory, db):
    fmt = FORMATS[-1]

    @EXAMPLES
    @given(items=generated_items(), data=st.data())
    def run(items: list[Generated], data: Any) -> None:
        index = data.draw(st.integers(min_value=0, max_value=len(items) - 1), label="row")
        built = csv_file(items, short_row=index)
        check_broken(fmt, built, built.files[built.main], tmp_path_factory)

    run()
