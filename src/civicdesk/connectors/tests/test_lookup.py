"""Batched lookups: how each platform's answer splits into what was found and what is gone."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import Capability
from civicdesk.connectors.platforms import CONNECTORS
from civicdesk.connectors.tests.contract_cases import CASES, payload, raw_payload

CONTRACT = {case.name: case for case in CASES}
STATUS = "103186126728896500"
COMMENT = "778899000003_900000000010"
GRAPH = "https://graph.facebook.com/v23.0"


def test_every_connector_that_looks_up_says_how_many_ids_and_calls_a_lookup_takes() -> None:
    for connector in CONNECTORS.values():
        if Capability.LOOKUP in connector.capabilities:
            assert connector.lookup_batch_size > 1, connector.platform
            assert connector.lookup_calls >= 1, connector.platform


class TestMastodon:
    def test_statuses_are_asked_for_together(self) -> None:
        mastodon = CONTRACT["mastodon"].make([])
        with respx.mock() as router:
            route = router.get(url__regex=r"https://mastodon\.social/api/v1/statuses\?.*").mock(
                return_value=httpx.Response(200, json=payload("mastodon", "statuses_edited_after"))
            )
            result = mastodon.lookup(platform_ids=[STATUS, "1"])
        assert route.calls.last.request.url.params.get_list("id[]") == [STATUS, "1"]
        assert [r.platform_id for r in result.found] == [STATUS]
        assert list(result.gone) == ["1"]
        assert result.calls == 1

    def test_a_server_older_than_4_3_is_asked_one_status_at_a_time(self) -> None:
        mastodon = CONTRACT["mastodon"].make([])
        status = payload("mastodon", "statuses_edited_after")[0]
        with respx.mock() as router:
            router.get(url__regex=r"https://mastodon\.social/api/v1/statuses\?.*").mock(
                return_value=httpx.Response(404, json={"error": "Record not found"})
            )
            router.get(f"https://mastodon.social/api/v1/statuses/{STATUS}").mock(
                return_value=httpx.Response(200, json=status)
            )
            router.get("https://mastodon.social/api/v1/statuses/1").mock(
                return_value=httpx.Response(404, json={"error": "Record not found"})
            )
            result = mastodon.lookup(platform_ids=[STATUS, "1"])
        assert [r.platform_id for r in result.found] == [STATUS]
        assert list(result.gone) == ["1"]
        assert result.calls == 3


class TestFacebook:
    def test_ids_graph_says_do_not_exist_are_gone_and_the_rest_is_asked_again(self) -> None:
        facebook = CONTRACT["facebook"].make([])
        missing = payload("facebook", "ids_do_not_exist")
        missing["error"]["message"] = (
            "(#100) Some of the aliases you requested do not exist: 778899000003_900000000099"
        )
        with respx.mock() as router:
            route = router.get(url__regex=rf"{GRAPH}/\?.*").mock(
                side_effect=[
                    httpx.Response(400, json=missing),
                    httpx.Response(200, json=payload("facebook", "ids_comments_edited_after")),
                ]
            )
            result = facebook.lookup(platform_ids=[COMMENT, "778899000003_900000000099"])
        assert route.calls[0].request.url.params["ids"] == f"{COMMENT},778899000003_900000000099"
        assert route.calls[1].request.url.params["ids"] == COMMENT
        assert [r.platform_id for r in result.found] == [COMMENT]
        assert result.found[0].parent_platform_id == "112233445566_778899000003"
        assert list(result.gone) == ["778899000003_900000000099"]
        assert result.calls == 2

    def test_posts_and_comments_are_asked_with_their_own_fields(self) -> None:
        facebook = CONTRACT["facebook"].make([])
        with respx.mock() as router:
            route = router.get(url__regex=rf"{GRAPH}/\?.*").mock(
                return_value=httpx.Response(200, json={})
            )
            result = facebook.lookup(platform_ids=["112233445566_778899000003", COMMENT])
        fields = [call.request.url.params["fields"] for call in route.calls]
        assert "attachments" in fields[0] and "parent" in fields[1]
        assert list(result.gone) == ["112233445566_778899000003", COMMENT]


class TestRss:
    def test_the_feed_is_read_again_and_an_entry_no_longer_in_it_is_not_called_gone(self) -> None:
        rss = CONTRACT["rss"].make([])
        kept = "tag:google.com,2013:googlealerts/feed:10234567890123456785"
        with respx.mock() as router:
            router.get(url__regex=r"https://www\.google\.com/alerts/feeds/.*").mock(
                return_value=httpx.Response(
                    200,
                    content=raw_payload("rss", "alert_edited_after"),
                    headers={"content-type": "application/atom+xml"},
                )
            )
            result = rss.lookup(platform_ids=[kept, "tag:example.org,2026:slid-out"])
        assert [r.platform_id for r in result.found] == [kept]
        assert list(result.gone) == []


@pytest.mark.parametrize("platform", ["instagram", "pinterest"])
def test_platforms_without_a_batched_lookup_are_refreshed_item_by_item(platform: str) -> None:
    assert Capability.LOOKUP not in CONNECTORS[platform].capabilities
    assert Capability.FETCH_THREAD in CONNECTORS[platform].capabilities
