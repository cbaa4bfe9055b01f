"""Writing to X: replies, hiding replies, deleting, images with alt text, edits as versions."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, ItemKind, MediaRef, OutgoingPost
from civicdesk.connectors.tests.contract_cases import NOW, build, payload
from civicdesk.connectors.x import XConnector

API = "https://api.x.com/2"
IMAGE = "https://media.civicdesk.example/pool.jpg"


@pytest.fixture
def x() -> XConnector:
    connector = build(
        XConnector, [], credentials={"access_token": "x-token"}, options={"user_id": "2244994945"}
    )
    assert isinstance(connector, XConnector)
    return connector


def test_hiding_a_reply_puts_hidden_true(x: XConnector) -> None:
    with respx.mock() as router:
        route = router.put(f"{API}/tweets/1234567891/hidden").mock(
            return_value=httpx.Response(200, json=payload("x", "hidden"))
        )
        x.hide(platform_id="1234567891")
        x.hide(platform_id="1234567891", hidden=False)
    assert [json.loads(c.request.content) for c in route.calls] == [
        {"hidden": True},
        {"hidden": False},
    ]


def test_a_reply_names_the_post_it_answers(x: XConnector) -> None:
    with respx.mock() as router:
        route = router.post(f"{API}/tweets").mock(
            return_value=httpx.Response(201, json=payload("x", "tweet_created"))
        )
        record = x.reply(parent_platform_id="1234567891", post=OutgoingPost(text="Yes, 9 to 5."))
    assert json.loads(route.calls.last.request.content) == {
        "text": "Yes, 9 to 5.",
        "reply": {"in_reply_to_tweet_id": "1234567891"},
    }
    assert record.platform_id == "1445880548472328192"
    assert record.kind == ItemKind.REPLY


def test_a_post_is_not_sent_twice_after_a_server_error(x: XConnector) -> None:
    with respx.mock() as router:
        route = router.post(f"{API}/tweets").mock(return_value=httpx.Response(503))
        with pytest.raises(ConnectorError) as caught:
            x.publish(post=OutgoingPost(text="Pool schedule"))
    assert route.call_count == 1  # the post may have gone out; the outbox checks before retrying
    assert caught.value.permanent is False


def test_publishing_an_image_uploads_it_and_sets_its_alt_text(x: XConnector) -> None:
    with respx.mock() as router:
        router.get(IMAGE).mock(
            return_value=httpx.Response(
                200, content=b"\xff\xd8", headers={"Content-Type": "image/jpeg"}
            )
        )
        upload = router.post(f"{API}/media/upload").mock(
            return_value=httpx.Response(200, json=payload("x", "media_uploaded"))
        )
        metadata = router.post(f"{API}/media/metadata").mock(
            return_value=httpx.Response(200, json=payload("x", "media_metadata"))
        )
        tweet = router.post(f"{API}/tweets").mock(
            return_value=httpx.Response(201, json=payload("x", "tweet_created"))
        )
        x.publish(
            post=OutgoingPost(
                text="Pool schedule", media=(MediaRef(url=IMAGE, alt_text="Lifeguard stand"),)
            )
        )
    assert b'name="media_category"\r\n\r\ntweet_image' in upload.calls.last.request.content
    assert json.loads(metadata.calls.last.request.content) == {
        "id": "1146654567674912769",
        "metadata": {"alt_text": {"text": "Lifeguard stand"}},
    }
    assert json.loads(tweet.calls.last.request.content)["media"] == {
        "media_ids": ["1146654567674912769"]
    }


def test_deleting_an_own_post(x: XConnector) -> None:
    with respx.mock() as router:
        route = router.delete(f"{API}/tweets/1445880548472328192").mock(
            return_value=httpx.Response(200, json=payload("x", "deleted"))
        )
        x.delete(platform_id="1445880548472328192")
    assert route.called is True


def test_an_edited_post_keeps_its_original_id_and_the_newest_id_stays_in_raw(x: XConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/users/2244994945/mentions.*").mock(
            return_value=httpx.Response(200, json=payload("x", "post_edited_after"))
        )
        page = x.fetch_new(cursor="", limit=10)
    assert page.items[0].platform_id == "1234567900"
    assert page.items[0].raw["id"] == "1234567905"


def test_the_next_sweep_asks_only_for_posts_newer_than_the_last_one(x: XConnector) -> None:
    with respx.mock() as router:
        mentions = router.get(url__regex=rf"{API}/users/2244994945/mentions.*").mock(
            side_effect=[
                httpx.Response(200, json=payload("x", "mentions_page2")),
                httpx.Response(200, json=payload("x", "empty")),
            ]
        )
        router.get(url__regex=rf"{API}/users/2244994945/tweets.*").mock(
            return_value=httpx.Response(200, json=payload("x", "empty"))
        )
        router.get(url__regex=rf"{API}/dm_events.*").mock(
            return_value=httpx.Response(200, json=payload("x", "empty"))
        )
        cursor = ""
        for _ in range(4):  # mentions, posts, messages, then mentions again
            cursor = x.fetch_new(cursor=cursor, limit=10).next_cursor
    assert "since_id" not in mentions.calls[0].request.url.params
    assert mentions.calls[1].request.url.params["since_id"] == "1234567891"


def test_usage_caps_are_retryable(x: XConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/users/2244994945/mentions.*").mock(
            return_value=httpx.Response(
                429,
                json=payload("x", "usage_capped"),
                headers={"x-rate-limit-reset": str(int(NOW.timestamp()) + 900)},
            )
        )
        with pytest.raises(ConnectorError) as caught:
            x.fetch_new(cursor="", limit=10)
    assert caught.value.retry_after == 900.0


def test_a_thread_comes_from_the_conversation(x: XConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/tweets/1234567891\?.*").mock(
            return_value=httpx.Response(200, json=payload("x", "tweet"))
        )
        search = router.get(url__regex=rf"{API}/tweets/search/recent.*").mock(
            return_value=httpx.Response(200, json=payload("x", "conversation"))
        )
        thread = x.fetch_thread(platform_id="1234567891")
    assert search.calls.last.request.url.params["query"] == "conversation_id:1234567890"
    assert [r.platform_id for r in thread] == ["1234567891", "1234567895"]
    assert thread[1].kind == ItemKind.REPLY


def test_metrics_are_the_public_metrics(x: XConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/tweets/1234567891\?.*").mock(
            return_value=httpx.Response(200, json=payload("x", "public_metrics"))
        )
        metrics = x.metrics(platform_id="1234567891")
    assert metrics["like_count"] == 9
    assert metrics["impression_count"] == 340
