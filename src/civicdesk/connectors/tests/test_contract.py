"""The contract every platform connector keeps, run against each platform's recorded payloads."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, ItemGone, ItemRecord
from civicdesk.connectors.tests.contract_cases import (
    CASES,
    HOSTILE,
    THREAD_CASES,
    ContractCase,
    raw_payload,
    substitute,
)

every_platform = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])


def body_response(case: ContractCase, name: str, status: int = 200, **kwargs) -> httpx.Response:
    return httpx.Response(status, content=raw_payload(case.platform, name), **kwargs)


def quiet_other_listings(router: respx.Router, case: ContractCase) -> None:
    for url, name in case.other_listings.items():
        router.get(url__regex=url).mock(return_value=body_response(case, name))


def read_all(
    connector, *, limit: int, cursor: str = "", max_calls: int = 10
) -> tuple[list[ItemRecord], str]:
    """Call fetch_new until has_more is false, as the poller does."""
    items: list[ItemRecord] = []
    for _ in range(max_calls):
        page = connector.fetch_new(cursor=cursor, limit=limit)
        items += page.items
        cursor = page.next_cursor
        if not page.has_more:
            return items, cursor
    raise AssertionError("fetch_new never said it was done")


@every_platform
class TestReadingNewItems:
    def test_it_reads_two_pages_in_order_without_skipping(self, case: ContractCase) -> None:
        sleeps: list[float] = []
        connector = case.make(sleeps)
        with respx.mock(assert_all_called=True) as router:
            listing = router.get(url__regex=case.listing).mock(
                side_effect=[body_response(case, case.pages[0]), body_response(case, case.pages[1])]
            )
            quiet_other_listings(router, case)
            first = connector.fetch_new(cursor="", limit=case.limit)
            assert [i.platform_id for i in first.items] == case.page_ids[0]
            assert first.has_more is True
            assert first.next_cursor != ""
            items, _ = read_all(connector, limit=case.limit, cursor=first.next_cursor)
        assert [i.platform_id for i in items] == case.page_ids[1]
        assert case.second_request_carries(listing.calls[1].request) is True
        assert sleeps == []

    def test_an_edit_keeps_the_platform_id_and_brings_new_text(self, case: ContractCase) -> None:
        versions = []
        for name in case.edits:
            with respx.mock() as router:
                router.get(url__regex=case.listing).mock(return_value=body_response(case, name))
                quiet_other_listings(router, case)
                items, _ = read_all(case.make([]), limit=20)
            versions.append(next(i for i in items if i.platform_id == case.edited_id))
        before, after = versions
        assert before.text != after.text
        assert before.edited_at is None
        if case.reports_edit_time:
            assert after.edited_at is not None
            assert after.edited_at > before.created_at
        else:
            assert after.edited_at is None

    def test_hostile_unicode_passes_through_unchanged(self, case: ContractCase) -> None:
        raw = raw_payload(case.platform, "hostile_unicode").decode()
        if case.is_feed:
            body = raw.replace("{{HOSTILE}}", case.escape_hostile(HOSTILE)).encode()
        else:
            body = json.dumps(substitute(json.loads(raw), case.escape_hostile(HOSTILE))).encode()
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(return_value=httpx.Response(200, content=body))
            quiet_other_listings(router, case)
            items, _ = read_all(case.make([]), limit=20)
        texts = [i.text for i in items]
        assert case.hostile_text(HOSTILE) in texts
        assert len(HOSTILE.encode()) > 100_000


@every_platform
class TestFailures:
    def test_401_asks_for_the_account_to_be_reconnected(self, case: ContractCase) -> None:
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(
                return_value=httpx.Response(401, json={"error": "invalid_token"})
            )
            if "session_refresh" in case.extra:
                # The connector first tries to refresh its session; that is refused too.
                router.post(url__regex=case.extra["session_refresh"]).mock(
                    return_value=httpx.Response(400, json={"error": "ExpiredToken"})
                )
            with pytest.raises(ConnectorError) as caught:
                case.make([]).fetch_new(cursor="", limit=case.limit)
        assert caught.value.needs_reconnect is True
        assert caught.value.permanent is True
        assert "Reconnect the account." in caught.value.message

    def test_403_is_permanent(self, case: ContractCase) -> None:
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(
                return_value=httpx.Response(403, json={"error": "forbidden"})
            )
            with pytest.raises(ConnectorError) as caught:
                case.make([]).fetch_new(cursor="", limit=case.limit)
        assert caught.value.permanent is True
        assert caught.value.needs_reconnect is False
        assert "HTTP 403" in caught.value.message

    def test_429_with_a_short_retry_after_waits_that_long_then_reads(
        self, case: ContractCase
    ) -> None:
        sleeps: list[float] = []
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(
                side_effect=[
                    httpx.Response(
                        429, headers={"Retry-After": "7"}, json={"error": "RateLimitExceeded"}
                    ),
                    body_response(case, case.pages[0]),
                ]
            )
            page = case.make(sleeps).fetch_new(cursor="", limit=case.limit)
        assert sleeps == [7.0]
        assert [i.platform_id for i in page.items] == case.page_ids[0]

    def test_429_with_a_long_retry_after_is_handed_back_to_the_scheduler(
        self, case: ContractCase
    ) -> None:
        sleeps: list[float] = []
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(
                return_value=httpx.Response(
                    429, headers={"Retry-After": "3600"}, json={"error": "RateLimitExceeded"}
                )
            )
            with pytest.raises(ConnectorError) as caught:
                case.make(sleeps).fetch_new(cursor="", limit=case.limit)
        assert caught.value.retry_after == 3600.0
        assert caught.value.permanent is False
        assert sleeps == []

    def test_server_errors_and_timeouts_are_retried_and_nothing_is_lost(
        self, case: ContractCase
    ) -> None:
        sleeps: list[float] = []
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(
                side_effect=[
                    httpx.Response(502, text="<html>Bad Gateway</html>"),
                    httpx.ReadTimeout("read timed out"),
                    httpx.ConnectTimeout("connect timed out"),
                    body_response(case, case.pages[0]),
                ]
            )
            page = case.make(sleeps).fetch_new(cursor="", limit=case.limit)
        assert [i.platform_id for i in page.items] == case.page_ids[0]
        # Full jitter (jitter fixed at 0.5): half of 0.5 s, 1 s and 2 s.
        assert sleeps == [0.25, 0.5, 1.0]

    def test_server_errors_that_persist_become_a_retryable_error(self, case: ContractCase) -> None:
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(
                return_value=httpx.Response(503, text="Service Unavailable")
            )
            with pytest.raises(ConnectorError) as caught:
                case.make([]).fetch_new(cursor="", limit=case.limit)
        assert caught.value.permanent is False
        assert "HTTP 503" in caught.value.message

    def test_a_malformed_answer_is_a_clear_permanent_error(self, case: ContractCase) -> None:
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(
                return_value=httpx.Response(200, text="<html><body>Oops {not json</body></html>")
            )
            with pytest.raises(ConnectorError) as caught:
                case.make([]).fetch_new(cursor="", limit=case.limit)
        assert caught.value.permanent is True
        assert case.malformed_message in caught.value.message


@pytest.mark.parametrize("case", THREAD_CASES, ids=[c.name for c in THREAD_CASES])
class TestDeletions:
    @pytest.mark.parametrize("status", [404, 410])
    def test_a_gone_item_is_reported_as_a_deletion(self, case: ContractCase, status: int) -> None:
        with respx.mock() as router:
            router.get(url__regex=case.thread_url).mock(
                return_value=httpx.Response(status, json={"error": "gone"})
            )
            with pytest.raises(ItemGone) as caught:
                case.make([]).fetch_thread(platform_id=case.item_id)
        assert caught.value.platform_id == case.item_id
        assert caught.value.permanent is True
        assert "no longer has item" in caught.value.message

    def test_the_platforms_own_not_found_answer_is_a_deletion(self, case: ContractCase) -> None:
        status, name = case.gone_response
        with respx.mock() as router:
            router.get(url__regex=case.thread_url).mock(
                return_value=body_response(case, name, status=status)
            )
            with pytest.raises(ItemGone) as caught:
                case.make([]).fetch_thread(platform_id=case.item_id)
        assert caught.value.platform_id == case.item_id
