"""Links to posts and images of a Bluesky account, on Bluesky's network or on another one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from civicdesk.connectors.base import MediaRef, OutgoingPost
from civicdesk.connectors.bluesky import BlueskyConnector, Network
from civicdesk.connectors.tests.contract_cases import build, payload

DID = "did:plc:agencyelmcity0000000000"
JANE = "did:plc:u5cwb2mwiv2bfq53cjufe6yn"
OWN_PDS = "https://pds.elm.gov"
IMAGE_RECORD = payload("bluesky", "notifications_reply_with_image")["notifications"][0]["record"]


def connector(**options: Any) -> BlueskyConnector:
    made = build(
        BlueskyConnector,
        [],
        credentials={"did": DID, "access_jwt": "a", "refresh_jwt": "r"},
        options=options,
    )
    assert isinstance(made, BlueskyConnector)
    return made


def test_an_account_on_bluesky_links_to_bsky_app_and_its_image_cdn() -> None:
    network = Network.from_options({"service": "https://morel.us-east.host.bsky.network"})
    assert network.post_url(author="elm.gov", rkey="3k43") == (
        "https://bsky.app/profile/elm.gov/post/3k43"
    )
    assert network.media_of_record(JANE, IMAGE_RECORD["embed"]) == (
        MediaRef(
            url=f"https://cdn.bsky.app/img/feed_fullsize/plain/{JANE}/bafkreipothole@jpeg",
            alt_text="A pothole full of rain water",
        ),
    )


def test_an_account_on_another_network_has_no_bsky_app_links() -> None:
    network = Network.from_options({"service": OWN_PDS})
    assert network.post_url(author="elm.gov", rkey="3k43") == ""
    assert network.media_of_record(JANE, IMAGE_RECORD["embed"])[0].url == (
        f"{OWN_PDS}/xrpc/com.atproto.sync.getBlob?did=did%3Aplc%3Au5cwb2mwiv2bfq53cjufe6yn"
        "&cid=bafkreipothole"
    )


def test_the_web_app_and_image_cdn_of_another_network_can_be_named() -> None:
    network = Network.from_options(
        {
            "service": OWN_PDS,
            "web_app": "https://social.elm.gov",
            "image_cdn": "https://img.elm.gov",
        }
    )
    assert network.post_url(author="elm.gov", rkey="3k43") == (
        "https://social.elm.gov/profile/elm.gov/post/3k43"
    )
    assert network.media_of_record(JANE, IMAGE_RECORD["embed"])[0].url == (
        f"https://img.elm.gov/img/feed_fullsize/plain/{JANE}/bafkreipothole@jpeg"
    )


def test_a_notified_image_is_linked_where_the_appview_serves_it() -> None:
    bluesky = connector(service=OWN_PDS, web_app="https://social.elm.gov")
    with respx.mock() as router:
        router.get(url__regex=rf"{OWN_PDS}/xrpc/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=httpx.Response(
                200, json=payload("bluesky", "notifications_reply_with_image")
            )
        )
        posts = router.get(url__regex=rf"{OWN_PDS}/xrpc/app\.bsky\.feed\.getPosts.*").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "get_posts_reply_with_image"))
        )
        (reply,) = bluesky.fetch_new(cursor="", limit=50).items
    assert posts.call_count == 1
    assert reply.media == (
        MediaRef(
            url=f"https://appview.elm.gov/img/feed_fullsize/plain/{JANE}/bafkreipothole@jpeg",
            alt_text="A pothole full of rain water",
        ),
    )
    assert reply.url == "https://social.elm.gov/profile/jane.pds.elm.gov/post/3k44ddddddd2a"


@pytest.mark.parametrize(
    ("options", "url"),
    [
        ({}, f"https://bsky.app/profile/{DID}/post/3k44bbbbbbb2a"),
        ({"service": OWN_PDS}, ""),
        (
            {"service": OWN_PDS, "web_app": "https://social.elm.gov/"},
            f"https://social.elm.gov/profile/{DID}/post/3k44bbbbbbb2a",
        ),
    ],
)
def test_a_published_post_links_to_the_web_app_of_its_network(
    options: dict[str, str], url: str
) -> None:
    service = options.get("service", "https://bsky.social")
    with respx.mock() as router:
        router.post(f"{service}/xrpc/com.atproto.repo.createRecord").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "create_record"))
        )
        post = connector(**options).publish(post=OutgoingPost(text="Pools open at 9."))
    assert post.url == url
