"""Writing to a Facebook Page: replies, hiding, deleting, photo posts with alt text, throttling."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, ItemKind, MediaRef, OutgoingPost
from civicdesk.connectors.facebook import FacebookConnector
from civicdesk.connectors.tests.contract_cases import build, payload

GRAPH = "https://graph.facebook.com/v23.0"
COMMENT = "778899000002_900000000001"


@pytest.fixture
def facebook() -> FacebookConnector:
    connector = build(
        FacebookConnector,
        [],
        credentials={"page_access_token": "page-token", "app_secret": "s3cret"},
        options={"page_id": "112233445566"},
    )
    assert isinstance(connector, FacebookConnector)
    return connector


def test_hiding_and_unhiding_set_is_hidden(facebook: FacebookConnector) -> None:
    with respx.mock() as router:
        route = router.post(url__regex=rf"{GRAPH}/{COMMENT}\?.*").mock(
            return_value=httpx.Response(200, json=payload("facebook", "success"))
        )
        facebook.hide(platform_id=COMMENT)
        facebook.hide(platform_id=COMMENT, hidden=False)
    assert [c.request.content for c in route.calls] == [b"is_hidden=true", b"is_hidden=false"]
    assert "appsecret_proof" in route.calls.last.request.url.params


def test_a_reply_is_a_comment_on_the_parent(facebook: FacebookConnector) -> None:
    with respx.mock() as router:
        route = router.post(url__regex=rf"{GRAPH}/{COMMENT}/comments.*").mock(
            return_value=httpx.Response(200, json=payload("facebook", "comment_created"))
        )
        record = facebook.reply(parent_platform_id=COMMENT, post=OutgoingPost(text="Yes, 9 to 5."))
    assert route.calls.last.request.content == b"message=Yes%2C+9+to+5."
    assert record.platform_id == "778899000002_900000000050"
    assert record.parent_platform_id == COMMENT
    assert record.kind == ItemKind.REPLY


def test_deleting_a_comment_that_is_gone_succeeds(facebook: FacebookConnector) -> None:
    with respx.mock() as router:
        router.delete(url__regex=rf"{GRAPH}/{COMMENT}.*").mock(
            return_value=httpx.Response(400, json=payload("facebook", "object_not_found"))
        )
        facebook.delete(platform_id=COMMENT)


def test_a_photo_post_carries_the_custom_alt_text(facebook: FacebookConnector) -> None:
    with respx.mock() as router:
        route = router.post(url__regex=rf"{GRAPH}/112233445566/photos.*").mock(
            return_value=httpx.Response(200, json=payload("facebook", "photo_created"))
        )
        record = facebook.publish(
            post=OutgoingPost(
                text="Pool schedule",
                media=(
                    MediaRef(
                        url="https://media.civicdesk.example/pool.jpg", alt_text="Lifeguard stand"
                    ),
                ),
            )
        )
    assert b"alt_text_custom=Lifeguard+stand" in route.calls.last.request.content
    assert record.platform_id == "112233445566_778899000071"


def test_several_photos_are_uploaded_unpublished_then_attached(facebook: FacebookConnector) -> None:
    with respx.mock() as router:
        photos = router.post(url__regex=rf"{GRAPH}/112233445566/photos.*").mock(
            return_value=httpx.Response(200, json=payload("facebook", "photo_unpublished"))
        )
        feed = router.post(url__regex=rf"{GRAPH}/112233445566/feed.*").mock(
            return_value=httpx.Response(200, json=payload("facebook", "post_created"))
        )
        facebook.publish(
            post=OutgoingPost(
                text="Two photos",
                media=(
                    MediaRef(url="https://media.civicdesk.example/a.jpg", alt_text="First"),
                    MediaRef(url="https://media.civicdesk.example/b.jpg", alt_text="Second"),
                ),
            )
        )
    assert [b"published=false" in c.request.content for c in photos.calls] == [True, True]
    assert (
        b"attached_media%5B1%5D=%7B%22media_fbid%22%3A%22778899000072%22%7D"
        in feed.calls.last.request.content
    )


def test_an_invalidated_token_asks_for_a_reconnect(facebook: FacebookConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{GRAPH}/112233445566/feed.*").mock(
            return_value=httpx.Response(400, json=payload("facebook", "token_expired"))
        )
        with pytest.raises(ConnectorError) as caught:
            facebook.fetch_new(cursor="", limit=10)
    assert caught.value.needs_reconnect is True


def test_page_throttling_waits_as_long_as_meta_estimates(facebook: FacebookConnector) -> None:
    usage = '{"112233445566":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":15}]}'
    with respx.mock() as router:
        router.get(url__regex=rf"{GRAPH}/112233445566/feed.*").mock(
            return_value=httpx.Response(
                400,
                json=payload("facebook", "throttled"),
                headers={"X-Business-Use-Case-Usage": usage},
            )
        )
        with pytest.raises(ConnectorError) as caught:
            facebook.fetch_new(cursor="", limit=10)
    assert caught.value.retry_after == 900.0
    assert caught.value.permanent is False


def test_a_thread_reads_every_comment_and_keeps_hidden_ones_marked(
    facebook: FacebookConnector,
) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{GRAPH}/112233445566_778899000002\?.*").mock(
            return_value=httpx.Response(200, json=payload("facebook", "post"))
        )
        router.get(url__regex=rf"{GRAPH}/112233445566_778899000002/comments.*").mock(
            return_value=httpx.Response(200, json=payload("facebook", "comments"))
        )
        thread = facebook.fetch_thread(platform_id="112233445566_778899000002")
    assert [r.kind for r in thread] == [
        ItemKind.POST,
        ItemKind.COMMENT,
        ItemKind.REPLY,
        ItemKind.COMMENT,
    ]
    assert thread[3].is_hidden is True


def test_metrics_read_reactions_comments_and_shares(facebook: FacebookConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{GRAPH}/112233445566_778899000002\?.*").mock(
            return_value=httpx.Response(200, json=payload("facebook", "post_engagement"))
        )
        assert facebook.metrics(platform_id="112233445566_778899000002") == {
            "reactions": 31,
            "comments": 12,
            "shares": 4,
        }
