"""Writing to Bluesky: replies, hiding through the threadgate, posts with alt text, sessions."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, ItemKind, MediaRef, OutgoingPost
from civicdesk.connectors.bluesky import BlueskyConnector
from civicdesk.connectors.tests.contract_cases import build, payload

PDS = "https://bsky.social/xrpc"
DID = "did:plc:agencyelmcity0000000000"
REPLY = "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k44aaaaaaa2c"
ROOT = f"at://{DID}/app.bsky.feed.post/3k43tv4rft22g"
IMAGE = "https://media.civicdesk.example/pool.jpg"


@pytest.fixture
def bluesky() -> BlueskyConnector:
    connector = build(
        BlueskyConnector,
        [],
        credentials={"did": DID, "access_jwt": "a", "refresh_jwt": "r"},
        options={},
    )
    assert isinstance(connector, BlueskyConnector)
    return connector


def sent_json(route: respx.Route) -> dict:
    return json.loads(route.calls.last.request.content)


def test_hiding_a_reply_adds_it_to_the_roots_threadgate(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPosts.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "get_posts_reply"))
        )
        router.get(url__regex=rf"{PDS}/com\.atproto\.repo\.getRecord.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "threadgate_record"))
        )
        put = router.post(f"{PDS}/com.atproto.repo.putRecord").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "put_record"))
        )
        bluesky.hide(platform_id=REPLY)
    body = sent_json(put)
    assert body["rkey"] == "3k43tv4rft22g"
    assert body["collection"] == "app.bsky.feed.threadgate"
    assert body["record"]["hiddenReplies"] == [REPLY]
    assert body["record"]["post"] == ROOT
    assert "allow" not in body["record"]  # hiding must not restrict who may reply
    assert body["swapRecord"] == "bafyreigate"


def test_unhiding_creates_no_rule_when_the_thread_had_no_threadgate(
    bluesky: BlueskyConnector,
) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPosts.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "get_posts_reply"))
        )
        router.get(url__regex=rf"{PDS}/com\.atproto\.repo\.getRecord.*").mock(
            return_value=httpx.Response(400, json=payload("bluesky", "record_not_found"))
        )
        put = router.post(f"{PDS}/com.atproto.repo.putRecord").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "put_record"))
        )
        bluesky.hide(platform_id=REPLY, hidden=False)
    body = sent_json(put)
    assert body["record"]["hiddenReplies"] == []
    assert body["swapRecord"] is None


def test_a_reply_points_at_the_thread_root_and_its_parent(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPosts.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "get_posts_reply"))
        )
        create = router.post(f"{PDS}/com.atproto.repo.createRecord").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "create_record"))
        )
        record = bluesky.reply(
            parent_platform_id=REPLY,
            post=OutgoingPost(text="Yes, 9 to 5. https://elm.example/pool"),
        )
    sent = sent_json(create)["record"]
    assert sent["reply"]["root"]["uri"] == ROOT
    assert sent["reply"]["parent"] == {"uri": REPLY, "cid": "bafyreib2"}
    assert sent["facets"][0]["features"][0]["uri"] == "https://elm.example/pool"
    assert record.kind == ItemKind.REPLY
    assert record.platform_id == f"at://{DID}/app.bsky.feed.post/3k44bbbbbbb2a"


def test_publishing_an_image_carries_its_alt_text(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(IMAGE).mock(
            return_value=httpx.Response(
                200, content=b"\xff\xd8", headers={"Content-Type": "image/jpeg"}
            )
        )
        blob = router.post(f"{PDS}/com.atproto.repo.uploadBlob").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "upload_blob"))
        )
        create = router.post(f"{PDS}/com.atproto.repo.createRecord").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "create_record"))
        )
        bluesky.publish(
            post=OutgoingPost(
                text="Pool schedule",
                language="en",
                media=(MediaRef(url=IMAGE, alt_text="Lifeguard stand"),),
            )
        )
    assert blob.calls.last.request.headers["Content-Type"] == "image/jpeg"
    embed = sent_json(create)["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert embed["images"][0]["alt"] == "Lifeguard stand"
    assert embed["images"][0]["image"]["ref"]["$link"].startswith("bafkrei")


def test_an_image_without_alt_text_is_refused_before_anything_is_sent(
    bluesky: BlueskyConnector,
) -> None:
    with respx.mock(), pytest.raises(ConnectorError) as caught:
        bluesky.publish(post=OutgoingPost(text="Pool", media=(MediaRef(url=IMAGE),)))
    assert caught.value.message == "Bluesky requires alt text on every image; add it and try again."


def test_only_the_accounts_own_posts_can_be_deleted(bluesky: BlueskyConnector) -> None:
    with pytest.raises(ConnectorError) as caught:
        bluesky.delete(platform_id=REPLY)
    assert "hide the reply instead" in caught.value.message
    with respx.mock() as router:
        route = router.post(f"{PDS}/com.atproto.repo.deleteRecord").mock(
            return_value=httpx.Response(200, json={})
        )
        bluesky.delete(platform_id=ROOT)
    assert sent_json(route) == {
        "repo": DID,
        "collection": "app.bsky.feed.post",
        "rkey": "3k43tv4rft22g",
    }


def test_an_expired_session_is_refreshed_once_and_the_call_repeated(
    bluesky: BlueskyConnector,
) -> None:
    with respx.mock() as router:
        listing = router.get(
            url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*"
        ).mock(
            side_effect=[
                httpx.Response(400, json=payload("bluesky", "expired_token")),
                httpx.Response(200, json=payload("bluesky", "notifications_page2")),
            ]
        )
        refresh = router.post(f"{PDS}/com.atproto.server.refreshSession").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "refresh_session"))
        )
        page = bluesky.fetch_new(cursor="", limit=50)
    assert refresh.calls.last.request.headers["Authorization"] == "Bearer r"
    assert listing.calls.last.request.headers["Authorization"] == "Bearer new-access-jwt"
    assert len(page.items) == 1
    assert bluesky.current_credentials == {
        "did": DID,
        "access_jwt": "new-access-jwt",
        "refresh_jwt": "new-refresh-jwt",
    }


def test_a_thread_marks_replies_the_agency_hid(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPostThread.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "post_thread"))
        )
        thread = bluesky.fetch_thread(platform_id=ROOT)
    assert [(r.kind, r.is_hidden) for r in thread] == [
        (ItemKind.POST, False),
        (ItemKind.REPLY, False),
        (ItemKind.REPLY, True),
    ]


def test_a_thread_that_is_not_found_is_a_deletion(bluesky: BlueskyConnector) -> None:
    from civicdesk.connectors.base import ItemGone

    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPostThread.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "thread_not_found"))
        )
        with pytest.raises(ItemGone):
            bluesky.fetch_thread(platform_id=REPLY)


def test_a_missing_access_token_refreshes_the_session_then_asks_for_a_reconnect(
    bluesky: BlueskyConnector,
) -> None:
    with respx.mock() as router:
        listing = router.get(
            url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*"
        ).mock(
            side_effect=[
                httpx.Response(401, json=payload("bluesky", "auth_missing")),
                httpx.Response(200, json=payload("bluesky", "notifications_page2")),
            ]
        )
        router.post(f"{PDS}/com.atproto.server.refreshSession").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "refresh_session"))
        )
        assert len(bluesky.fetch_new(cursor="", limit=50).items) == 1
    assert listing.calls.last.request.headers["Authorization"] == "Bearer new-access-jwt"

    refused = build(
        BlueskyConnector,
        [],
        credentials={"did": DID, "access_jwt": "a", "refresh_jwt": "r"},
        options={},
    )
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=httpx.Response(401, json=payload("bluesky", "auth_missing"))
        )
        refresh = router.post(f"{PDS}/com.atproto.server.refreshSession").mock(
            return_value=httpx.Response(400, json=payload("bluesky", "expired_token"))
        )
        with pytest.raises(ConnectorError) as caught:
            refused.fetch_new(cursor="", limit=50)
    assert refresh.call_count == 1
    assert caught.value.needs_reconnect is True
    assert caught.value.message == (
        "Bluesky no longer accepts this account's session (AuthMissing). Reconnect the account."
    )


@pytest.mark.parametrize("error", ["ExpiredToken", "InvalidToken", "AuthMissing"])
def test_every_refused_session_is_refreshed_whatever_the_http_status(
    bluesky: BlueskyConnector, error: str
) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPostThread.*").mock(
            side_effect=[
                httpx.Response(400, json={"error": error, "message": "Bad token"}),
                httpx.Response(200, json=payload("bluesky", "post_thread")),
            ]
        )
        refresh = router.post(f"{PDS}/com.atproto.server.refreshSession").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "refresh_session"))
        )
        assert len(bluesky.fetch_thread(platform_id=ROOT)) == 3
    assert refresh.call_count == 1


def test_the_unnotified_parent_of_a_reply_is_read_with_it(bluesky: BlueskyConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=httpx.Response(
                200, json=payload("bluesky", "notifications_reply_to_unnotified_reply")
            )
        )
        posts = router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPosts.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "get_posts_unnotified_reply"))
        )
        page = bluesky.fetch_new(cursor="", limit=50)
    parent = "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k44ccccccc2a"
    assert posts.call_count == 1
    assert posts.calls.last.request.url.params.get_list("uris") == [parent]
    assert [(r.platform_id, r.kind, r.parent_platform_id) for r in page.items] == [
        (parent, ItemKind.REPLY, ROOT),
        (
            "at://did:plc:neighborpaul0000000000000/app.bsky.feed.post/3k44ccccccc2b",
            ItemKind.REPLY,
            parent,
        ),
    ]


def test_missing_parents_are_read_25_to_a_call(bluesky: BlueskyConnector) -> None:
    template = payload("bluesky", "notifications_reply_to_unnotified_reply")["notifications"][0]
    notes = []
    for n in range(30):
        note = json.loads(json.dumps(template))
        note["uri"] = f"at://did:plc:neighborpaul0000000000000/app.bsky.feed.post/3k44reply{n:03}"
        note["record"]["reply"]["parent"]["uri"] = f"at://did:plc:someone/app.bsky.feed.post/p{n}"
        notes.append(note)
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=httpx.Response(200, json={"notifications": notes})
        )
        posts = router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPosts.*").mock(
            return_value=httpx.Response(200, json={"posts": []})
        )
        page = bluesky.fetch_new(cursor="", limit=50)
    assert [len(c.request.url.params.get_list("uris")) for c in posts.calls] == [25, 5]
    assert len(page.items) == 30, "a parent that is gone leaves its reply as it was"


@pytest.mark.django_db
def test_a_reply_to_an_unnotified_reply_is_archived_in_its_thread(
    bluesky: BlueskyConnector,
) -> None:
    from civicdesk.accounts.polling import store_page
    from civicdesk.archive.models import Item, ItemVersion
    from civicdesk.connectors.base import Platform
    from civicdesk.testing.factories import AccountFactory

    account = AccountFactory.create(platform=Platform.BLUESKY, handle="elmcity.gov")
    with respx.mock() as router:
        router.get(url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=httpx.Response(
                200, json=payload("bluesky", "notifications_reply_to_unnotified_reply")
            )
        )
        router.get(url__regex=rf"{PDS}/app\.bsky\.feed\.getPosts.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "get_posts_unnotified_reply"))
        )
        store_page(account, bluesky.fetch_new(cursor="", limit=50), ItemVersion.Source.POLL)
    assert set(Item.objects.values_list("thread_platform_id", flat=True)) == {ROOT}


def test_a_session_without_an_access_token_is_refreshed() -> None:
    bluesky = build(
        BlueskyConnector,
        [],
        credentials={"did": DID, "access_jwt": "", "refresh_jwt": "r"},
        options={},
    )
    with respx.mock() as router:
        listing = router.get(
            url__regex=rf"{PDS}/app\.bsky\.notification\.listNotifications.*"
        ).mock(
            side_effect=[
                httpx.Response(401, json=payload("bluesky", "auth_missing")),
                httpx.Response(200, json=payload("bluesky", "notifications_page2")),
            ]
        )
        router.post(f"{PDS}/com.atproto.server.refreshSession").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "refresh_session"))
        )
        bluesky.fetch_new(cursor="", limit=50)
    assert "Authorization" not in listing.calls[0].request.headers
    assert listing.calls[1].request.headers["Authorization"] == "Bearer new-access-jwt"
