"""Writing to Instagram: replies, hiding, deleting, and the container flow with alt text."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, MediaRef, OutgoingPost
from civicdesk.connectors.instagram import InstagramConnector
from civicdesk.connectors.tests.contract_cases import build, payload

GRAPH = "https://graph.facebook.com/v23.0"
IG = "17841400000000001"
COMMENT = "17870913679156914"


@pytest.fixture
def instagram() -> InstagramConnector:
    connector = build(
        InstagramConnector, [], credentials={"access_token": "ig-token"}, options={"ig_user_id": IG}
    )
    assert isinstance(connector, InstagramConnector)
    return connector


def test_hiding_a_comment_sends_hide(instagram: InstagramConnector) -> None:
    with respx.mock() as router:
        route = router.post(f"{GRAPH}/{COMMENT}").mock(
            return_value=httpx.Response(200, json=payload("instagram", "success"))
        )
        instagram.hide(platform_id=COMMENT)
        instagram.hide(platform_id=COMMENT, hidden=False)
    assert [c.request.content for c in route.calls] == [b"hide=true", b"hide=false"]


def test_a_reply_goes_to_the_comments_replies(instagram: InstagramConnector) -> None:
    with respx.mock() as router:
        route = router.post(f"{GRAPH}/{COMMENT}/replies").mock(
            return_value=httpx.Response(200, json=payload("instagram", "reply_created"))
        )
        record = instagram.reply(parent_platform_id=COMMENT, post=OutgoingPost(text="Next Monday."))
    assert route.calls.last.request.content == b"message=Next+Monday."
    assert record.platform_id == "17870913679156916"


def test_deleting_sends_delete(instagram: InstagramConnector) -> None:
    with respx.mock() as router:
        route = router.delete(f"{GRAPH}/{COMMENT}").mock(
            return_value=httpx.Response(200, json=payload("instagram", "success"))
        )
        instagram.delete(platform_id=COMMENT)
    assert route.called is True


def test_an_image_post_creates_a_container_with_alt_text_then_publishes_it(
    instagram: InstagramConnector,
) -> None:
    with respx.mock() as router:
        container = router.post(f"{GRAPH}/{IG}/media").mock(
            return_value=httpx.Response(200, json=payload("instagram", "container_created"))
        )
        publish = router.post(f"{GRAPH}/{IG}/media_publish").mock(
            return_value=httpx.Response(200, json=payload("instagram", "media_published"))
        )
        record = instagram.publish(
            post=OutgoingPost(
                text="Pool opens Saturday!",
                media=(
                    MediaRef(
                        url="https://media.civicdesk.example/pool.jpg", alt_text="Lifeguard stand"
                    ),
                ),
            )
        )
    assert b"alt_text=Lifeguard+stand" in container.calls.last.request.content
    assert publish.calls.last.request.content == b"creation_id=17889455560051444"
    assert record.platform_id == "17920238422030506"


def test_a_reel_waits_for_its_container_to_finish(instagram: InstagramConnector) -> None:
    sleeps: list[float] = []
    connector = build(
        InstagramConnector,
        sleeps,
        credentials={"access_token": "ig-token"},
        options={"ig_user_id": IG},
    )
    with respx.mock() as router:
        container = router.post(f"{GRAPH}/{IG}/media").mock(
            return_value=httpx.Response(200, json=payload("instagram", "container_created"))
        )
        router.get(url__regex=rf"{GRAPH}/17889455560051444\?.*").mock(
            side_effect=[
                httpx.Response(200, json={"status_code": "IN_PROGRESS", "id": "17889455560051444"}),
                httpx.Response(200, json=payload("instagram", "container_finished")),
            ]
        )
        router.post(f"{GRAPH}/{IG}/media_publish").mock(
            return_value=httpx.Response(200, json=payload("instagram", "media_published"))
        )
        connector.publish(
            post=OutgoingPost(
                text="Reel",
                media=(MediaRef(url="https://media.civicdesk.example/v.mp4", kind="video"),),
            )
        )
    assert b"media_type=REELS" in container.calls.last.request.content
    assert sleeps == [5.0]


def test_a_post_without_media_is_refused(instagram: InstagramConnector) -> None:
    with pytest.raises(ConnectorError) as caught:
        instagram.publish(post=OutgoingPost(text="Text only"))
    assert caught.value.message == "An Instagram post needs at least one image or video."
