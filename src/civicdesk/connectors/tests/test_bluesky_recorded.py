"""The Bluesky connector on answers recorded from a real AT Protocol network (``live_*``)."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, ItemGone, ItemKind, OutgoingPost
from civicdesk.connectors.bluesky import BlueskyConnector
from civicdesk.connectors.tests.contract_cases import build, payload

PDS = "http://localhost:32582/xrpc"
AGENCY = "did:plc:rzjhlvwfda4bvvba5elujvqi"
JANE = "did:plc:3a6f72b46w73y2xe22chmppv"
PAUL = "did:plc:rmwiqfbpt3tdz57guax5vldj"
POOLS = f"at://{AGENCY}/app.bsky.feed.post/3n3mzm6w4z22i"


def post(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


@pytest.fixture
def bluesky() -> BlueskyConnector:
    connector = build(
        BlueskyConnector,
        [],
        credentials={"did": AGENCY, "access_jwt": "a", "refresh_jwt": "r"},
        options={"service": "http://localhost:32582", "web_app": "https://social.elm.example"},
    )
    assert isinstance(connector, BlueskyConnector)
    return connector


def answer(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=payload("bluesky", name))


def test_a_mention_deep_in_a_thread_brings_the_posts_above_it(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=answer("live_notifications_reply_and_mention")
        )
        posts = router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPosts.*").mock(
            side_effect=[
                answer("live_get_posts_missing_parent"),
                answer("live_get_posts_missing_grandparent"),
            ]
        )
        page = bluesky.fetch_new(cursor="", limit=50)
    assert [c.request.url.params.get_list("uris") for c in posts.calls] == [
        [post(JANE, "3n3mzlxdmbc2i")],
        [post(PAUL, "3n3mzlwkpfc2i")],
    ]
    assert [(r.platform_id, r.kind) for r in page.items] == [
        (post(PAUL, "3n3mzlwkpfc2i"), ItemKind.MENTION),
        (post(JANE, "3n3mzlxdmbc2i"), ItemKind.REPLY),
        (post(JANE, "3n3mzlujy422i"), ItemKind.REPLY),
        (post(PAUL, "3n3mzlvthas2i"), ItemKind.REPLY),
        (post(PAUL, "3n3mzlxyhb22i"), ItemKind.MENTION),
    ]


def test_an_image_post_links_to_the_appview_image_and_the_web_app(
    bluesky: BlueskyConnector,
) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=httpx.Response(200, json={"notifications": []})
        )
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getAuthorFeed.*").mock(
            side_effect=[
                answer("live_author_feed_with_image"),
                httpx.Response(200, json={"feed": []}),
            ]
        )
        first = bluesky.fetch_new(cursor="", limit=50)
        second = bluesky.fetch_new(cursor=first.next_cursor, limit=50)
        third = bluesky.fetch_new(cursor=second.next_cursor, limit=50)
    assert third.has_more is False
    items = [*first.items, *second.items, *third.items]
    (pools,) = items
    assert pools.url == "https://social.elm.example/profile/agency.test/post/3n3mzm6w4z22i"
    (picture,) = pools.media
    assert picture.alt_text == "The Elm St. pool, empty and sunny"
    assert picture.url.startswith("https://bsky.public.url/img/feed_fullsize/plain/")


def test_a_thread_marks_the_reply_the_agency_hid(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPostThread.*").mock(
            return_value=answer("live_post_thread_hidden_reply")
        )
        thread = bluesky.fetch_thread(platform_id=POOLS)
    hidden = {r.platform_id for r in thread if r.is_hidden}
    assert hidden == {post(PAUL, "3n3mzmbehts2i")}
    assert len(thread) == 4


def test_a_deleted_reply_is_gone(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPostThread.*").mock(
            return_value=answer("live_thread_not_found", 400)
        )
        with pytest.raises(ItemGone):
            bluesky.fetch_thread(platform_id=post(JANE, "3n3mzman7pc2i"))


def test_hiding_the_first_reply_creates_the_threadgate(bluesky: BlueskyConnector) -> None:
    reply = post(PAUL, "3n3mzmbehts2i")
    view = payload("bluesky", "live_post_thread_hidden_reply")["thread"]["replies"][0]["post"]
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPosts.*").mock(
            return_value=httpx.Response(200, json={"posts": [view]})
        )
        router.get(url__regex=rf"{PDS}/com\.atproto\.repo\.getRecord.*").mock(
            return_value=answer("live_threadgate_not_found", 400)
        )
        put = router.post(f"{PDS}/com.atproto.repo.putRecord").mock(
            return_value=answer("live_put_threadgate")
        )
        bluesky.hide(platform_id=reply)
    assert b'"hiddenReplies":["' + reply.encode() in put.calls.last.request.content


def test_a_signed_out_session_asks_for_a_reconnect(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=answer("live_auth_missing", 401)
        )
        router.post(f"{PDS}/com.atproto.server.refreshSession").mock(
            return_value=answer("live_refresh_revoked", 400)
        )
        with pytest.raises(ConnectorError) as caught:
            bluesky.fetch_new(cursor="", limit=50)
    assert caught.value.needs_reconnect is True
    assert caught.value.message == (
        "Bluesky no longer accepts this account's session (AuthMissing). Reconnect the account."
    )


def test_a_write_reports_the_pds_rate_limit(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.post(f"{PDS}/com.atproto.repo.createRecord").mock(
            return_value=httpx.Response(
                200,
                json=payload("bluesky", "live_create_record"),
                headers=payload("bluesky", "live_create_record_headers"),
            )
        )
        created = bluesky.publish(post=OutgoingPost(text="Pools open Saturday."))
    assert created.platform_id == payload("bluesky", "live_create_record")["uri"]
    limit = bluesky.http.last_rate_limit
    assert (limit.limit, limit.remaining) == (3000, 2951)
