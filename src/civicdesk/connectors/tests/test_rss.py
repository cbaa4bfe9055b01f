"""Reading feeds: Google Alerts links, conditional requests, and the manual Snapchat account."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import Capability, ConnectorError, ItemKind, UnsupportedOperation
from civicdesk.connectors.rss import RssConnector, unwrap_google_link
from civicdesk.connectors.snapchat import SnapchatConnector
from civicdesk.connectors.tests.contract_cases import ALERT_FEED, build, raw_payload


@pytest.fixture
def alerts() -> RssConnector:
    connector = build(RssConnector, [], credentials={}, options={"feed_url": ALERT_FEED})
    assert isinstance(connector, RssConnector)
    return connector


def test_google_alert_entries_are_mentions_linking_to_the_article(alerts: RssConnector) -> None:
    with respx.mock() as router:
        router.get(ALERT_FEED).mock(
            return_value=httpx.Response(200, content=raw_payload("rss", "alert_three_entries"))
        )
        page = alerts.fetch_new(cursor="", limit=10)
    first = page.items[0]
    assert first.kind == ItemKind.MENTION
    assert first.url == "https://news.example/elm-city-pool-1"
    assert first.text == "Elm City parks survey\n\nResidents asked about parks ..."
    assert first.raw["id"] == "tag:google.com,2013:googlealerts/feed:10234567890123456781"


def test_an_unchanged_feed_is_asked_for_conditionally_and_yields_nothing(
    alerts: RssConnector,
) -> None:
    with respx.mock() as router:
        feed = router.get(ALERT_FEED).mock(
            side_effect=[
                httpx.Response(
                    200, content=raw_payload("rss", "alert_three_entries"), headers={"ETag": '"v1"'}
                ),
                httpx.Response(304),
            ]
        )
        first = alerts.fetch_new(cursor="", limit=10)
        second = alerts.fetch_new(cursor=first.next_cursor, limit=10)
    assert feed.calls[1].request.headers["If-None-Match"] == '"v1"'
    assert list(second.items) == []
    assert second.next_cursor == first.next_cursor


def test_entries_already_handed_out_are_not_handed_out_again(alerts: RssConnector) -> None:
    with respx.mock() as router:
        router.get(ALERT_FEED).mock(
            return_value=httpx.Response(200, content=raw_payload("rss", "alert_three_entries"))
        )
        first = alerts.fetch_new(cursor="", limit=10)
        second = alerts.fetch_new(cursor=first.next_cursor, limit=10)
    assert len(first.items) == 3
    assert list(second.items) == []


def test_a_feed_that_is_gone_is_a_permanent_problem_not_a_deletion(alerts: RssConnector) -> None:
    with respx.mock() as router:
        router.get(ALERT_FEED).mock(return_value=httpx.Response(404, text="Not Found"))
        with pytest.raises(ConnectorError) as caught:
            alerts.fetch_new(cursor="", limit=10)
    assert caught.value.permanent is True
    assert "HTTP 404" in caught.value.message
    with pytest.raises(UnsupportedOperation):
        alerts.fetch_thread(platform_id="x")


def test_google_redirect_links_are_unwrapped() -> None:
    assert (
        unwrap_google_link(
            "https://www.google.com/url?rct=j&sa=t&url=https://a.example/x%3Fy%3D1&ct=ga"
        )
        == "https://a.example/x?y=1"
    )
    assert unwrap_google_link("https://a.example/x") == "https://a.example/x"


def test_snapchat_reads_nothing_and_declares_nothing() -> None:
    snapchat = SnapchatConnector(handle="elmcity", credentials={}, options={})
    with respx.mock():  # any request would fail: none is made
        page = snapchat.fetch_new(cursor="", limit=50)
    assert list(page.items) == []
    assert page.has_more is False
    assert snapchat.capabilities == frozenset()
    assert all(snapchat.can(c) is False for c in Capability)
