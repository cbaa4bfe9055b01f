"""One description per platform of how its connector meets the contract in ``test_contract.py``.

Each case names the listing ``fetch_new`` reads first, the recorded payloads for each situation
(``payloads/<platform>/<situation>.json``), and what the connector must make of them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from civicdesk.connectors.base import Connector
from civicdesk.connectors.bluesky import BlueskyConnector
from civicdesk.connectors.facebook import FacebookConnector
from civicdesk.connectors.http import HttpConnector
from civicdesk.connectors.instagram import InstagramConnector
from civicdesk.connectors.mastodon import MastodonConnector
from civicdesk.connectors.pinterest import PinterestConnector
from civicdesk.connectors.rss import RssConnector
from civicdesk.connectors.x import XConnector
from civicdesk.connectors.youtube import YouTubeConnector

PAYLOADS = Path(__file__).parent / "payloads"
NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
ALERT_FEED = "https://www.google.com/alerts/feeds/00244493797674210195/10337771550195268213"

# Right-to-left override, zero-width characters, emoji with modifiers, markup, then ~100 KB.
HOSTILE = (
    "\u202eevil.exe\u202c zero\u200bwidth\u200d join\ufeff 👩🏽‍🚒🇺🇸 "
    "<script>alert('x')</script> <b onmouseover=\"x()\">bold</b> &amp; \"quotes\" 'single'"
    + " ß漢字🙂" * 20_000
    + " end"
)


def payload(platform: str, name: str) -> Any:
    return json.loads((PAYLOADS / platform / f"{name}.json").read_text())


def raw_payload(platform: str, name: str) -> bytes:
    for suffix in (".json", ".xml", ".txt"):
        path = PAYLOADS / platform / f"{name}{suffix}"
        if path.exists():
            return path.read_bytes()
    raise FileNotFoundError(name)


def substitute(value: Any, replacement: str) -> Any:
    if isinstance(value, str):
        return value.replace("{{HOSTILE}}", replacement)
    if isinstance(value, list):
        return [substitute(v, replacement) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, replacement) for k, v in value.items()}
    return value


def build(cls: type[HttpConnector], sleeps: list[float], **settings: Any) -> Connector:
    return cls(
        handle=settings.pop("handle", "elmcity"),
        credentials=settings.pop("credentials"),
        options=settings.pop("options"),
        sleep=sleeps.append,
        jitter=lambda: 0.5,
        clock=NOW.timestamp,
    )


@dataclass(frozen=True)
class ContractCase:
    platform: str
    make: Callable[[list[float]], Connector]
    listing: str  # URL (regex) of the listing fetch_new reads first
    other_listings: dict[str, str]  # URL regex → payload name for the other streams (empty)
    page_ids: tuple[list[str], list[str]]  # ids handed out by page 1 and page 2, in order
    second_request_carries: Callable[[httpx.Request], bool]
    item_id: str  # fetch_thread on this id requests thread_url first
    thread_url: str
    gone_response: tuple[int, str]  # the platform's own "not found" answer for item_id
    edited_id: str
    reports_edit_time: bool
    hostile_text: Callable[[str], str]  # what ``text`` must be for the hostile payload
    escape_hostile: Callable[[str], str] = lambda text: text  # how the payload carries it
    limit: int = 2
    pages: tuple[str, str] = ("page1", "page2")
    edits: tuple[str, str] = ("edited_before", "edited_after")
    malformed_message: str = ""
    is_feed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    server: str = ""  # a server software other than the platform's own, e.g. "akkoma"

    @property
    def name(self) -> str:
        return f"{self.platform}-{self.server}" if self.server else self.platform


def _param(name: str, value: str) -> Callable[[httpx.Request], bool]:
    return lambda request: request.url.params.get(name) == value


CASES = [
    ContractCase(
        platform="mastodon",
        make=lambda sleeps: build(
            MastodonConnector,
            sleeps,
            credentials={"access_token": "mastodon-token"},
            options={"instance": "https://mastodon.social", "account_id": "14715"},
        ),
        listing=r"https://mastodon\.social/api/v1/notifications.*",
        other_listings={r"https://mastodon\.social/api/v1/accounts/14715/statuses.*": "empty"},
        page_ids=(["103186126728896493", "103186126728896494"], ["103186126728896495"]),
        second_request_carries=_param("min_id", "34975863"),
        item_id="103186126728896494",
        thread_url=r"https://mastodon\.social/api/v1/statuses/103186126728896494$",
        gone_response=(404, "empty"),
        edited_id="103186126728896500",
        reports_edit_time=True,
        hostile_text=lambda text: text,
        escape_hostile=html.escape,
        pages=("notifications_page1", "notifications_page2"),
        edits=("status_edited_before", "status_edited_after"),
        malformed_message="Mastodon returned malformed JSON from GET /api/v1/notifications",
    ),
    # Akkoma (like Pleroma) answers the Mastodon API with base62 flake ids, `language: null`, and
    # `acct` with the domain even for local accounts; see payloads/mastodon/README.md.
    ContractCase(
        platform="mastodon",
        server="akkoma",
        make=lambda sleeps: build(
            MastodonConnector,
            sleeps,
            credentials={"access_token": "akkoma-token"},
            options={"instance": "https://social.elm.example", "account_id": "AdHrt1BvfJ3xfPnKdY"},
        ),
        listing=r"https://social\.elm\.example/api/v1/notifications.*",
        other_listings={
            r"https://social\.elm\.example/api/v1/accounts/AdHrt1BvfJ3xfPnKdY/statuses.*": "empty"
        },
        page_ids=(["AdHtV8sQ5u0Jh4KK5s", "AdHtV8sQ5u0Jh4KKaB"], ["AdHtV8sQ5u0Jh4KKbz"]),
        second_request_carries=_param("min_id", "AdHtV8sQ7G9M2vRz1e"),
        item_id="AdHtV8sQ5u0Jh4KKaB",
        thread_url=r"https://social\.elm\.example/api/v1/statuses/AdHtV8sQ5u0Jh4KKaB$",
        gone_response=(404, "empty"),
        edited_id="AdHtWb0yX3kq1fD2Aa",
        reports_edit_time=True,
        hostile_text=lambda text: text,
        escape_hostile=html.escape,
        pages=("akkoma_notifications_page1", "akkoma_notifications_page2"),
        edits=("akkoma_status_edited_before", "akkoma_status_edited_after"),
        malformed_message="Mastodon returned malformed JSON from GET /api/v1/notifications",
    ),
    ContractCase(
        platform="bluesky",
        make=lambda sleeps: build(
            BlueskyConnector,
            sleeps,
            credentials={
                "did": "did:plc:agencyelmcity0000000000",
                "access_jwt": "a",
                "refresh_jwt": "r",
            },
            options={},
        ),
        listing=r"https://bsky\.social/xrpc/app\.bsky\.notification\.listNotifications.*",
        other_listings={r"https://bsky\.social/xrpc/app\.bsky\.feed\.getAuthorFeed.*": "empty"},
        page_ids=(
            [
                "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k44aaaaaaa2b",
                "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k44aaaaaaa2c",
            ],
            ["at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k44aaaaaaa2a"],
        ),
        second_request_carries=_param("cursor", "1740935102000::bafyreib1"),
        item_id="at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k44aaaaaaa2c",
        thread_url=r"https://bsky\.social/xrpc/app\.bsky\.feed\.getPostThread.*",
        gone_response=(400, "error_not_found"),
        edited_id="at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k44aaaaaaa3a",
        reports_edit_time=False,
        hostile_text=lambda text: text,
        pages=("notifications_page1", "notifications_page2"),
        edits=("post_edited_before", "post_edited_after"),
        malformed_message="Bluesky returned malformed JSON from GET /xrpc/app.bsky.notification.listNotifications",
        extra={
            "session_refresh": r"https://bsky\.social/xrpc/com\.atproto\.server\.refreshSession"
        },
    ),
    ContractCase(
        platform="facebook",
        make=lambda sleeps: build(
            FacebookConnector,
            sleeps,
            credentials={"page_access_token": "page-token"},
            options={"page_id": "112233445566"},
        ),
        listing=r"https://graph\.facebook\.com/v23\.0/112233445566/feed.*",
        other_listings={
            r"https://graph\.facebook\.com/v23\.0/112233445566/conversations.*": "empty"
        },
        page_ids=(
            [
                "112233445566_778899000001",
                "112233445566_778899000002",
                "778899000002_900000000001",
                "778899000002_900000000002",
            ],
            ["112233445566_778899000000"],
        ),
        second_request_carries=_param("after", "QVFIUkxZAFc2"),
        item_id="112233445566_778899000099",
        thread_url=r"https://graph\.facebook\.com/v23\.0/112233445566_778899000099\?.*",
        gone_response=(400, "object_not_found"),
        edited_id="778899000003_900000000010",
        reports_edit_time=False,
        hostile_text=lambda text: text,
        pages=("feed_page1", "feed_page2"),
        edits=("comment_edited_before", "comment_edited_after"),
        malformed_message="Facebook returned malformed JSON from GET /v23.0/112233445566/feed",
    ),
    ContractCase(
        platform="instagram",
        make=lambda sleeps: build(
            InstagramConnector,
            sleeps,
            credentials={"access_token": "ig-token"},
            options={"ig_user_id": "17841400000000001"},
        ),
        listing=r"https://graph\.facebook\.com/v23\.0/17841400000000001/media.*",
        other_listings={
            r"https://graph\.facebook\.com/v23\.0/17841400000000001/conversations.*": "empty"
        },
        page_ids=(
            ["17895695668004551", "17895695668004552", "17870913679156914", "17870913679156915"],
            ["17895695668004550"],
        ),
        second_request_carries=_param("after", "QVFIUnpQ"),
        item_id="17895695668004599",
        thread_url=r"https://graph\.facebook\.com/v23\.0/17895695668004599\?.*",
        gone_response=(400, "object_not_found"),
        edited_id="17895695668004560",
        reports_edit_time=False,
        hostile_text=lambda text: text,
        pages=("media_page1", "media_page2"),
        edits=("caption_edited_before", "caption_edited_after"),
        malformed_message="Instagram returned malformed JSON from GET /v23.0/17841400000000001/media",
    ),
    ContractCase(
        platform="x",
        make=lambda sleeps: build(
            XConnector,
            sleeps,
            credentials={"access_token": "x-token"},
            options={"user_id": "2244994945"},
        ),
        listing=r"https://api\.x\.com/2/users/2244994945/mentions.*",
        other_listings={
            r"https://api\.x\.com/2/users/2244994945/tweets.*": "empty",
            r"https://api\.x\.com/2/dm_events.*": "empty",
        },
        page_ids=(["1234567892", "1234567893"], ["1234567891"]),
        second_request_carries=_param(
            "pagination_token", "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"
        ),
        item_id="1234567999",
        thread_url=r"https://api\.x\.com/2/tweets/1234567999\?.*",
        gone_response=(200, "tweet_not_found"),
        edited_id="1234567900",
        reports_edit_time=True,
        hostile_text=lambda text: text,
        pages=("mentions_page1", "mentions_page2"),
        edits=("post_edited_before", "post_edited_after"),
        malformed_message="X returned malformed JSON from GET /2/users/2244994945/mentions",
    ),
    ContractCase(
        platform="youtube",
        make=lambda sleeps: build(
            YouTubeConnector,
            sleeps,
            credentials={"access_token": "yt-token"},
            options={"channel_id": "UCxxxxxxxxxxxxxxxxxxxxxx"},
        ),
        listing=r"https://www\.googleapis\.com/youtube/v3/commentThreads\?.*allThreadsRelatedToChannelId.*",
        other_listings={},
        page_ids=(
            ["UgzAbCdEfGh001", "UgzAbCdEfGh002", "UgzAbCdEfGh002.9zXy001"],
            ["UgzAbCdEfGh000"],
        ),
        second_request_carries=_param("pageToken", "QURTSl9pM3RHMmZqUHNzRG9NaFNUOTdyVEU="),
        item_id="UgzAbCdEfGh099",
        thread_url=r"https://www\.googleapis\.com/youtube/v3/commentThreads\?.*id=UgzAbCdEfGh099.*",
        gone_response=(200, "empty"),
        edited_id="UgzAbCdEfGh010",
        reports_edit_time=True,
        hostile_text=lambda text: text,
        pages=("threads_page1", "threads_page2"),
        edits=("comment_edited_before", "comment_edited_after"),
        malformed_message="YouTube returned malformed JSON from GET /youtube/v3/commentThreads",
    ),
    ContractCase(
        platform="pinterest",
        make=lambda sleeps: build(
            PinterestConnector,
            sleeps,
            credentials={"access_token": "pina-token"},
            options={"board_id": "549755885175"},
        ),
        listing=r"https://api\.pinterest\.com/v5/pins\?.*",
        other_listings={},
        page_ids=(["813744226420795883", "813744226420795884"], ["813744226420795882"]),
        second_request_carries=_param(
            "bookmark", "Y2JVSG81V2sxcmNHRjZWbGhTTVdSSVlsUmtkMWRyTVZkWFZGVjNXbXRHVmxwRVRYZGFiR1Kx"
        ),
        item_id="813744226420795999",
        thread_url=r"https://api\.pinterest\.com/v5/pins/813744226420795999$",
        gone_response=(404, "pin_not_found"),
        edited_id="813744226420795890",
        reports_edit_time=False,
        hostile_text=lambda text: text,
        pages=("pins_page1", "pins_page2"),
        edits=("pin_edited_before", "pin_edited_after"),
        malformed_message="Pinterest returned malformed JSON from GET /v5/pins",
    ),
    ContractCase(
        platform="rss",
        make=lambda sleeps: build(
            RssConnector, sleeps, credentials={}, options={"feed_url": ALERT_FEED}
        ),
        listing=r"https://www\.google\.com/alerts/feeds/.*",
        other_listings={},
        page_ids=(
            [
                "tag:google.com,2013:googlealerts/feed:10234567890123456781",
                "tag:google.com,2013:googlealerts/feed:10234567890123456782",
            ],
            ["tag:google.com,2013:googlealerts/feed:10234567890123456783"],
        ),
        # Mid-page, the feed is read again in full rather than answered "304 unchanged".
        second_request_carries=lambda request: "if-none-match" not in request.headers,
        item_id="",
        thread_url="",
        gone_response=(404, ""),
        edited_id="tag:google.com,2013:googlealerts/feed:10234567890123456785",
        reports_edit_time=True,
        hostile_text=lambda text: f"Hostile title\n\n{text}",
        # Inside <description> the text is HTML, and the HTML is escaped again as XML.
        escape_hostile=lambda text: html.escape(html.escape(text)),
        pages=("alert_three_entries", "alert_three_entries"),
        edits=("alert_edited_before", "alert_edited_after"),
        malformed_message="is not a readable RSS or Atom feed",
        is_feed=True,
    ),
]

THREAD_CASES = [case for case in CASES if not case.is_feed]
