"""The Bluesky connector against a real local AT Protocol network (PLC, PDS, bsky AppView).

The same situations as the recorded contract payloads, answered by the real servers: signing in
with an app password, refreshing the session, reading replies and mentions page by page, the
thread, replying, publishing an image with alt text, hiding, deleting, and a reply posted right
after its thread's root.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from civicdesk.accounts.polling import store_page
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.connectors.base import (
    ConnectorError,
    ItemGone,
    ItemKind,
    ItemRecord,
    MediaRef,
    OutgoingPost,
    Platform,
)
from civicdesk.connectors.bluesky import BlueskyConnector
from civicdesk.connectors.oauth import create_bluesky_session
from civicdesk.testing.factories import AccountFactory

from .conftest import AtprotoNetwork

pytestmark = pytest.mark.atproto

WEB_APP = "https://social.elm.example"


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x20\x80\x40" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def image_url() -> Iterator[str]:
    """A picture served the way Civic Desk's media storage serves it."""
    picture = _png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(picture)))
            self.end_headers()
            self.wfile.write(picture)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/pool.png"
    server.shutdown()


@pytest.fixture(scope="module")
def agency(atproto_network: AtprotoNetwork) -> dict[str, str]:
    """The agency's session, signed in once with its app password as an editor connects it."""
    account = atproto_network.accounts["agency"]
    return create_bluesky_session(
        identifier=account["handle"],
        app_password=account["app_password"],
        service=atproto_network.pds,
    )


def connect(
    network: AtprotoNetwork, credentials: dict[str, str], **options: str
) -> BlueskyConnector:
    return BlueskyConnector(
        handle="agency.test",
        credentials=credentials,
        options={"service": network.pds, "web_app": WEB_APP, **options},
        transport=network.transport(),
    )


def post_as(network: AtprotoNetwork, name: str, text: str, **record: Any) -> dict[str, str]:
    """A post by one of the public accounts, written straight to its repository."""
    session = network.session(name)
    response = httpx.post(
        f"{network.pds}/xrpc/com.atproto.repo.createRecord",
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
        json={
            "repo": session["did"],
            "collection": "app.bsky.feed.post",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": text,
                # Milliseconds, as the Bluesky app writes: the AppView pages notifications by
                # this time alone, so two posts in the same second could straddle a page.
                "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
                **record,
            },
        },
    )
    response.raise_for_status()
    return response.json()


def reply_ref(root: dict[str, str], parent: dict[str, str]) -> dict[str, Any]:
    return {
        "reply": {
            "root": {"uri": root["uri"], "cid": root["cid"]},
            "parent": {"uri": parent["uri"], "cid": parent["cid"]},
        }
    }


def read_everything(
    connector: BlueskyConnector, cursor: str = "", limit: int = 50
) -> tuple[list[ItemRecord], str]:
    """Every item new since ``cursor``, oldest first, and the cursor to read on from."""
    items: list[ItemRecord] = []
    for _ in range(30):
        page = connector.fetch_new(cursor=cursor, limit=limit)
        items += page.items
        cursor = page.next_cursor
        if not page.has_more:
            return items, cursor
    raise AssertionError("fetch_new never finished its sweep")


def test_a_session_from_an_app_password_is_refreshed_when_refused(
    atproto_network: AtprotoNetwork, agency: dict[str, str]
) -> None:
    # A session whose access JWT is gone: the PDS answers AuthMissing.
    bluesky = connect(atproto_network, {**agency, "access_jwt": ""})
    bluesky.fetch_new(cursor="", limit=1)
    refreshed = bluesky.current_credentials
    assert refreshed["access_jwt"] != ""
    assert refreshed["refresh_jwt"] != agency["refresh_jwt"]
    refused = [a for a in atproto_network.answers if a["status"] == 401]
    assert refused[0]["body"]["error"] == "AuthMissing"

    # A session signed out (its refresh JWT revoked): only a reconnect helps now.
    account = atproto_network.accounts["agency"]
    revoked = create_bluesky_session(
        identifier=account["handle"],
        app_password=account["app_password"],
        service=atproto_network.pds,
    )
    httpx.post(
        f"{atproto_network.pds}/xrpc/com.atproto.server.deleteSession",
        headers={"Authorization": f"Bearer {revoked['refresh_jwt']}"},
    ).raise_for_status()
    signed_out = connect(atproto_network, {**revoked, "access_jwt": ""})
    with pytest.raises(ConnectorError) as caught:
        signed_out.fetch_new(cursor="", limit=1)
    assert caught.value.needs_reconnect is True
    assert caught.value.message.startswith("Bluesky no longer accepts this account's session (")
    agency.update(refreshed)


def test_the_agency_publishes_reads_replies_and_moderates(
    atproto_network: AtprotoNetwork, agency: dict[str, str], image_url: str
) -> None:
    bluesky = connect(atproto_network, agency)
    root = bluesky.publish(
        post=OutgoingPost(
            text="Pools open Saturday. #SummerInElm. https://elm.example/pools",
            language="en",
            media=(MediaRef(url=image_url, alt_text="The Elm St. pool, empty and sunny"),),
        )
    )
    rate_limit = bluesky.http.last_rate_limit
    assert rate_limit.limit is not None and rate_limit.remaining is not None
    assert rate_limit.remaining < rate_limit.limit
    assert root.url == f"{WEB_APP}/profile/{agency['did']}/post/{root.platform_id.split('/')[-1]}"
    root_ref = {"uri": root.platform_id, "cid": root.raw["response"]["cid"]}
    atproto_network.index()
    jane = post_as(atproto_network, "jane", "Is it heated?", **reply_ref(root_ref, root_ref))
    paul = post_as(
        atproto_network, "paul", "Buy my pool passes!!!", **reply_ref(root_ref, root_ref)
    )
    mention = post_as(
        atproto_network,
        "paul",
        "@agency.test when do the splash pads open?",
        **mention_of(agency["did"]),
    )
    atproto_network.index()

    # Page by page (one notification a page), oldest first.
    items, _ = read_everything(bluesky, limit=1)
    by_id = {item.platform_id: item for item in items}
    assert by_id[jane["uri"]].kind == ItemKind.REPLY
    assert by_id[jane["uri"]].parent_platform_id == root.platform_id
    assert by_id[mention["uri"]].kind == ItemKind.MENTION
    assert by_id[root.platform_id].kind == ItemKind.POST
    (picture,) = by_id[root.platform_id].media
    assert picture.alt_text == "The Elm St. pool, empty and sunny"
    # The AppView names where its image CDN serves the picture; the blob itself is on the PDS.
    assert picture.url == by_id[root.platform_id].raw["embed"]["images"][0]["fullsize"]
    (stored,) = bluesky.network.media_of_record(agency["did"], root.raw["record"]["embed"])
    assert stored.url.startswith(f"{atproto_network.pds}/xrpc/com.atproto.sync.getBlob?")
    assert httpx.get(stored.url).content == _png()
    tags = [f for f in by_id[root.platform_id].raw["record"]["facets"] if "tag" in str(f)]
    assert tags[0]["features"][0]["tag"] == "SummerInElm"

    answer = bluesky.reply(parent_platform_id=jane["uri"], post=OutgoingPost(text="Yes, to 27 °C."))
    bluesky.hide(platform_id=paul["uri"])
    atproto_network.index()
    thread = {item.platform_id: item for item in bluesky.fetch_thread(platform_id=root.platform_id)}
    assert set(thread) == {root.platform_id, jane["uri"], paul["uri"], answer.platform_id}
    assert thread[paul["uri"]].is_hidden is True
    assert thread[jane["uri"]].is_hidden is False
    assert thread[answer.platform_id].parent_platform_id == jane["uri"]

    # A reply its author deleted is gone from the thread and answers "not found" on its own.
    jane_session = atproto_network.session("jane")
    httpx.post(
        f"{atproto_network.pds}/xrpc/com.atproto.repo.deleteRecord",
        headers={"Authorization": f"Bearer {jane_session['accessJwt']}"},
        json={
            "repo": jane_session["did"],
            "collection": "app.bsky.feed.post",
            "rkey": jane["uri"].split("/")[-1],
        },
    ).raise_for_status()
    bluesky.delete(platform_id=answer.platform_id)
    atproto_network.index()
    with pytest.raises(ItemGone):
        bluesky.fetch_thread(platform_id=jane["uri"])
    remaining = {item.platform_id for item in bluesky.fetch_thread(platform_id=root.platform_id)}
    assert remaining == {root.platform_id, paul["uri"]}
    agency.update(bluesky.current_credentials)


def mention_of(did: str) -> dict[str, Any]:
    return {
        "facets": [
            {
                "index": {"byteStart": 0, "byteEnd": 12},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
            }
        ]
    }


@pytest.mark.django_db
def test_replies_arrive_with_the_posts_they_answer(
    atproto_network: AtprotoNetwork, agency: dict[str, str]
) -> None:
    bluesky = connect(atproto_network, agency)
    _, cursor = read_everything(bluesky)  # everything before these threads

    # A reply posted 85 ms after its thread's root, and a reply to that reply.
    root = bluesky.publish(post=OutgoingPost(text="Road closures this weekend."))
    root_ref = {"uri": root.platform_id, "cid": root.raw["response"]["cid"]}
    time.sleep(0.085)
    first = post_as(atproto_network, "jane", "Which roads?", **reply_ref(root_ref, root_ref))
    # The AppView indexes repositories concurrently: the first reply may be indexed before its
    # root and then notifies nobody. The reply to it comes once both are indexed.
    atproto_network.index()
    second = post_as(atproto_network, "paul", "Same question.", **reply_ref(root_ref, first))
    # A thread the agency is mentioned in two levels down: nothing notifies it of the posts above.
    top = post_as(atproto_network, "paul", "Who fixes potholes around here?")
    middle = post_as(atproto_network, "jane", "Nobody, it seems.", **reply_ref(top, top))
    ask = post_as(
        atproto_network,
        "paul",
        "@agency.test can you help?",
        **reply_ref(top, middle),
        **mention_of(agency["did"]),
    )
    atproto_network.index()

    page = bluesky.fetch_new(cursor=cursor, limit=50)
    ids = [item.platform_id for item in page.items]
    for parent, reply in [(first, second), (middle, ask), (top, middle)]:
        assert ids.index(parent["uri"]) < ids.index(reply["uri"]), "a parent comes before its reply"

    account = AccountFactory.create(platform=Platform.BLUESKY, handle="agency.test")
    store_page(account, page, ItemVersion.Source.POLL)
    threads = dict(Item.objects.values_list("platform_id", "thread_platform_id"))
    assert threads[second["uri"]] == threads[first["uri"]] == root.platform_id
    assert threads[ask["uri"]] == threads[middle["uri"]] == top["uri"]
    agency.update(bluesky.current_credentials)


def test_zz_the_real_answers_are_kept_as_contract_payloads(
    atproto_network: AtprotoNetwork,
) -> None:
    """With CIVICDESK_ATPROTO_RECORD set to a folder, write what the servers answered there."""
    folder = os.environ.get("CIVICDESK_ATPROTO_RECORD")
    if not folder:
        pytest.skip("CIVICDESK_ATPROTO_RECORD is not set.")
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / "answers.json").write_text(
        json.dumps(atproto_network.answers, indent=1, ensure_ascii=False)
    )
