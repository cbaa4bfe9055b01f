from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from civicdesk.connectors.base import ConnectorError, ItemKind
from civicdesk.connectors.replay import ReplayConnector, ReplayFileError
from civicdesk.testing.factories import write_replay

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def connector(path, speed=1.0):
    return ReplayConnector(
        handle="RiverbendUSD",
        credentials={},
        options={
            "replay_path": str(path),
            "replay_speed": speed,
            "replay_started_at": START.isoformat(),
        },
    )


def comment(n, offset, **extra):
    return {
        "id": f"c{n}",
        "kind": "comment",
        "text": f"comment {n}",
        "offset_s": offset,
        "author": {"handle": f"parent{n}", "name": f"Parent {n}"},
        **extra,
    }


class TestReplayTiming:
    def test_history_arrives_at_once_and_the_rest_when_it_is_due(self, tmp_path):
        path = write_replay(
            tmp_path / "feed.jsonl", [comment(1, -3600), comment(2, 60), comment(3, 600)]
        )
        with time_machine.travel(START, tick=False):
            page = connector(path).fetch_new(cursor="", limit=100)
        assert [r.platform_id for r in page.items] == ["c1"]
        assert page.items[0].created_at == START - timedelta(hours=1)
        with time_machine.travel(START + timedelta(seconds=61), tick=False):
            page = connector(path).fetch_new(cursor=page.next_cursor, limit=100)
        assert [r.platform_id for r in page.items] == ["c2"]

    def test_speed_plays_an_hour_in_a_minute_and_keeps_historys_real_times(self, tmp_path):
        path = write_replay(tmp_path / "feed.jsonl", [comment(0, -7200), comment(1, 3600)])
        with time_machine.travel(START + timedelta(seconds=61), tick=False):
            page = connector(path, speed=60).fetch_new(cursor="", limit=10)
        assert [r.platform_id for r in page.items] == ["c0", "c1"]
        assert page.items[0].created_at == START - timedelta(hours=2)
        assert page.items[1].created_at == START + timedelta(minutes=1)

    def test_speed_zero_plays_everything_at_once(self, tmp_path):
        path = write_replay(tmp_path / "feed.jsonl", [comment(n, n * 3600) for n in range(5)])
        page = connector(path, speed=0).fetch_new(cursor="", limit=100)
        assert len(page.items) == 5
        assert page.has_more is False


class TestReplayCursor:
    def test_pages_resume_exactly_where_the_cursor_points(self, tmp_path):
        path = write_replay(tmp_path / "feed.jsonl", [comment(n, -100 + n) for n in range(25)])
        seen, cursor, more = [], "", True
        while more:
            page = connector(path).fetch_new(cursor=cursor, limit=10)
            seen += [r.platform_id for r in page.items]
            cursor, more = page.next_cursor, page.has_more
        assert seen == [f"c{n}" for n in range(25)]
        assert connector(path).fetch_new(cursor=cursor, limit=10).items == []

    def test_a_half_written_last_line_waits_for_the_rest(self, tmp_path):
        path = write_replay(tmp_path / "feed.jsonl", [comment(1, -5)])
        with path.open("a") as out:
            out.write('{"id": "c2", "kind": "comm')
        page = connector(path).fetch_new(cursor="", limit=10)
        assert [r.platform_id for r in page.items] == ["c1"]
        with path.open("a") as out:
            out.write('ent", "text": "done", "offset_s": -1}\n')
        assert [
            r.text for r in connector(path).fetch_new(cursor=page.next_cursor, limit=10).items
        ] == ["done"]

    def test_edits_and_deletions_come_through(self, tmp_path):
        path = write_replay(
            tmp_path / "feed.jsonl",
            [
                comment(1, -50),
                {**comment(1, -40), "op": "edit", "text": "edited", "created_offset_s": -50},
                {"op": "delete", "id": "c1", "offset_s": -30},
            ],
        )
        page = connector(path).fetch_new(cursor="", limit=10)
        assert [r.text for r in page.items] == ["comment 1", "edited"]
        assert page.items[1].edited_at == START - timedelta(seconds=40)
        assert page.items[1].created_at == page.items[0].created_at
        assert page.deleted_ids == ["c1"]
        assert page.items[0].kind == ItemKind.COMMENT


class TestReplayErrors:
    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("{not json", "feed.jsonl, line 2: not valid JSON"),
            ("[1, 2]", "feed.jsonl, line 2: each line must be a JSON object"),
            ('{"kind": "comment"}', 'feed.jsonl, line 2: missing the item\'s "id"'),
            ('{"id": "x", "kind": "tweet"}', "feed.jsonl, line 2: unknown \"kind\" 'tweet'"),
            ('{"id": "x", "offset_s": "soon"}', 'feed.jsonl, line 2: "offset_s" must be a number'),
            ('{"id": "x", "op": "undelete"}', "feed.jsonl, line 2: unknown \"op\" 'undelete'"),
        ],
    )
    def test_a_malformed_line_is_reported_with_file_and_line(self, tmp_path, line, message):
        path = tmp_path / "feed.jsonl"
        path.write_text(f'{{"id": "ok", "text": "fine", "offset_s": -1}}\n{line}\n')
        with pytest.raises(ReplayFileError) as caught:
            connector(path).fetch_new(cursor="", limit=10)
        assert str(caught.value).startswith(message)
        assert caught.value.permanent is True

    def test_bytes_that_are_not_utf8_are_reported(self, tmp_path):
        path = tmp_path / "feed.jsonl"
        path.write_bytes(b'{"id": "x", "text": "\xff\xfe"}\n')
        with pytest.raises(ReplayFileError, match="line 1: not UTF-8 text"):
            connector(path).fetch_new(cursor="", limit=10)

    def test_a_missing_file_is_a_clear_error(self, tmp_path):
        with pytest.raises(ConnectorError, match="Cannot open replay file"):
            connector(tmp_path / "nope.jsonl").fetch_new(cursor="", limit=10)

    def test_writing_to_a_replayed_account_is_refused_in_words(self, tmp_path):
        from civicdesk.connectors.base import OutgoingPost

        with pytest.raises(
            ConnectorError, match="A replayed account cannot publish through Civic Desk."
        ):
            connector(tmp_path / "x.jsonl").publish(post=OutgoingPost(text="hi"))


def test_fields_given_as_null_are_empty_not_the_word_none(tmp_path):
    event = comment(1, -60, lang=None, url=None, text=None)
    event["author"] = {"handle": None, "name": None, "id": None}
    path = write_replay(tmp_path / "feed.jsonl", [event])
    with time_machine.travel(START, tick=False):
        (record,) = connector(path).fetch_new(cursor="", limit=10).items
    assert (record.language, record.url, record.text) == ("", "", "")
    assert (record.author_handle, record.author_name, record.author_platform_id) == ("", "", "")
