"""Writing to Mastodon: replies, posts with alt text, deletes and engagement."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import (
    Capability,
    ItemKind,
    MediaRef,
    OutgoingPost,
    UnsupportedOperation,
)
from civicdesk.connectors.mastodon import MastodonConnector
from civicdesk.connectors.tests.contract_cases import build, payload

API = "https://mastodon.social"
IMAGE = "https://media.civicdesk.example/pool.jpg"


@pytest.fixture
def mastodon() -> MastodonConnector:
    connector = build(
        MastodonConnector,
        [],
        credentials={"access_token": "mastodon-token"},
        options={"instance": API, "account_id": "14715"},
    )
    assert isinstance(connector, MastodonConnector)
    return connector


def test_a_reply_sends_the_idempotency_key_and_returns_the_new_status(
    mastodon: MastodonConnector,
) -> None:
    with respx.mock() as router:
        route = router.post(f"{API}/api/v1/statuses").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "status_created"))
        )
        record = mastodon.reply(
            parent_platform_id="103186126728896494",
            post=OutgoingPost(text="Yes, from 9 to 5.", idempotency_key="outbox-42"),
        )
    request = route.calls.last.request
    assert request.headers["Idempotency-Key"] == "outbox-42"
    assert request.headers["Authorization"] == "Bearer mastodon-token"
    assert b"in_reply_to_id=103186126728896494" in request.content
    assert record.platform_id == "103186126728896700"
    assert record.kind == ItemKind.REPLY
    assert record.text == "Yes, from 9 to 5."


def test_a_post_with_an_idempotency_key_is_repeated_after_a_server_error(
    mastodon: MastodonConnector,
) -> None:
    with respx.mock() as router:
        route = router.post(f"{API}/api/v1/statuses").mock(
            side_effect=[
                httpx.Response(503),
                httpx.Response(200, json=payload("mastodon", "post_created")),
            ]
        )
        mastodon.publish(post=OutgoingPost(text="Pool schedule.", idempotency_key="outbox-43"))
    assert [call.request.headers["Idempotency-Key"] for call in route.calls] == [
        "outbox-43",
        "outbox-43",
    ]


def test_publishing_uploads_the_image_with_its_alt_text(mastodon: MastodonConnector) -> None:
    with respx.mock() as router:
        media_file = router.get(IMAGE).mock(
            return_value=httpx.Response(
                200, content=b"\xff\xd8jpeg", headers={"Content-Type": "image/jpeg"}
            )
        )
        upload = router.post(f"{API}/api/v2/media").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "media_uploaded"))
        )
        status = router.post(f"{API}/api/v1/statuses").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "post_created"))
        )
        record = mastodon.publish(
            post=OutgoingPost(
                text="Pool schedule for the weekend.",
                language="en",
                idempotency_key="outbox-44",
                media=(MediaRef(url=IMAGE, alt_text="Lifeguard stand beside the Elm St. pool"),),
            )
        )
    assert b"Lifeguard stand beside the Elm St. pool" in upload.calls.last.request.content
    assert "Authorization" not in media_file.calls.last.request.headers  # no token to media hosts
    assert b"media_ids%5B%5D=22348641" in status.calls.last.request.content
    assert record.media[0].alt_text == "Lifeguard stand beside the Elm St. pool"
    assert record.kind == ItemKind.POST


def test_deleting_a_status_that_is_already_gone_succeeds(mastodon: MastodonConnector) -> None:
    with respx.mock() as router:
        router.delete(f"{API}/api/v1/statuses/1").mock(
            return_value=httpx.Response(404, json={"error": "Record not found"})
        )
        mastodon.delete(platform_id="1")


def test_hiding_is_not_something_mastodon_offers(mastodon: MastodonConnector) -> None:
    assert mastodon.can(Capability.HIDE) is False
    with pytest.raises(UnsupportedOperation) as caught:
        mastodon.hide(platform_id="1")
    assert caught.value.message == "Mastodon accounts cannot hide through Civic Desk."


def test_a_thread_lists_ancestors_the_status_and_descendants(mastodon: MastodonConnector) -> None:
    with respx.mock() as router:
        router.get(f"{API}/api/v1/statuses/103186126728896494").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "status"))
        )
        router.get(f"{API}/api/v1/statuses/103186126728896494/context").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "context"))
        )
        thread = mastodon.fetch_thread(platform_id="103186126728896494")
    assert [r.platform_id for r in thread] == [
        "103186038209478945",
        "103186126728896494",
        "103186126728896600",
    ]
    assert thread[0].kind == ItemKind.POST
    assert thread[1].text == "@elmcity Is the pool open Saturday?"


def test_direct_mentions_are_messages_and_links_read_in_full(mastodon: MastodonConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/api/v1/notifications.*").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "notifications_page2"))
        )
        page = mastodon.fetch_new(cursor="", limit=40)
    assert page.items[0].kind == ItemKind.MESSAGE
    assert page.items[0].text == "@elmcity Thanks for the update about https://elm.example/pool"


def test_metrics_count_replies_boosts_and_favourites(mastodon: MastodonConnector) -> None:
    with respx.mock() as router:
        router.get(f"{API}/api/v1/statuses/103186126728896494").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "status"))
        )
        assert mastodon.metrics(platform_id="103186126728896494") == {
            "replies": 1,
            "boosts": 3,
            "favourites": 7,
        }
