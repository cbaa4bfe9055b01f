"""Writing to YouTube: replies, holding for review, deleting, quota."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, ItemKind, OutgoingPost
from civicdesk.connectors.tests.contract_cases import build, payload
from civicdesk.connectors.youtube import YouTubeConnector, seconds_until_quota_reset

API = "https://www.googleapis.com/youtube/v3"


@pytest.fixture
def youtube() -> YouTubeConnector:
    connector = build(
        YouTubeConnector,
        [],
        credentials={"access_token": "yt-token"},
        options={"channel_id": "UCxxxxxxxxxxxxxxxxxxxxxx"},
    )
    assert isinstance(connector, YouTubeConnector)
    return connector


def test_hiding_holds_the_comment_for_review_and_unhiding_publishes_it(
    youtube: YouTubeConnector,
) -> None:
    with respx.mock() as router:
        route = router.post(url__regex=rf"{API}/comments/setModerationStatus.*").mock(
            return_value=httpx.Response(204)
        )
        youtube.hide(platform_id="UgzAbCdEfGh002")
        youtube.hide(platform_id="UgzAbCdEfGh002", hidden=False)
    statuses = [c.request.url.params["moderationStatus"] for c in route.calls]
    assert statuses == ["heldForReview", "published"]  # never "rejected": that cannot be undone


def test_a_reply_is_inserted_under_its_parent(youtube: YouTubeConnector) -> None:
    with respx.mock() as router:
        route = router.post(url__regex=rf"{API}/comments\?part=snippet").mock(
            return_value=httpx.Response(200, json=payload("youtube", "comment_inserted"))
        )
        record = youtube.reply(
            parent_platform_id="UgzAbCdEfGh002", post=OutgoingPost(text="Yes, Thursday at 7.")
        )
    assert json.loads(route.calls.last.request.content) == {
        "snippet": {"parentId": "UgzAbCdEfGh002", "textOriginal": "Yes, Thursday at 7."}
    }
    assert record.kind == ItemKind.REPLY
    assert record.parent_platform_id == "UgzAbCdEfGh002"


def test_deleting_an_own_comment(youtube: YouTubeConnector) -> None:
    with respx.mock() as router:
        route = router.delete(url__regex=rf"{API}/comments\?id=UgzAbCdEfGh002.9zXy003").mock(
            return_value=httpx.Response(204)
        )
        youtube.delete(platform_id="UgzAbCdEfGh002.9zXy003")
    assert route.called is True


def test_an_exhausted_quota_waits_until_midnight_pacific(youtube: YouTubeConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/commentThreads.*").mock(
            return_value=httpx.Response(403, json=payload("youtube", "quota_exceeded"))
        )
        with pytest.raises(ConnectorError) as caught:
            youtube.fetch_new(cursor="", limit=20)
    # The test clock is 20:00 UTC, 12:00 in Los Angeles: twelve hours to go.
    assert caught.value.retry_after == 12 * 3600
    assert caught.value.permanent is False


def test_quota_resets_at_pacific_midnight_across_daylight_saving() -> None:
    assert seconds_until_quota_reset(datetime(2026, 7, 1, 6, 0, tzinfo=UTC)) == 1 * 3600


def test_a_thread_reads_every_reply(youtube: YouTubeConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/commentThreads\?.*id=UgzAbCdEfGh002.*").mock(
            return_value=httpx.Response(200, json=payload("youtube", "thread"))
        )
        router.get(url__regex=rf"{API}/comments\?.*parentId=UgzAbCdEfGh002.*").mock(
            return_value=httpx.Response(200, json=payload("youtube", "replies"))
        )
        thread = youtube.fetch_thread(platform_id="UgzAbCdEfGh002")
    assert [r.kind for r in thread] == [ItemKind.COMMENT, ItemKind.REPLY, ItemKind.REPLY]
    assert thread[0].url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzAbCdEfGh002"


def test_metrics_are_the_videos_statistics(youtube: YouTubeConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/videos.*").mock(
            return_value=httpx.Response(200, json=payload("youtube", "video_statistics"))
        )
        assert youtube.metrics(platform_id="dQw4w9WgXcQ") == {
            "views": 1520,
            "likes": 48,
            "favorites": 0,
            "comments": 12,
        }
