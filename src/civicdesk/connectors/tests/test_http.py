"""The shared HTTP layer: rate-limit headers from every platform, and what is never repeated."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, Platform
from civicdesk.connectors.http import PlatformClient, parse_rate_limit, retry_after_seconds

NOW = 1_772_481_600.0


@pytest.mark.parametrize(
    ("headers", "remaining", "reset_after"),
    [
        (
            {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "12",
                "X-RateLimit-Reset": "2026-03-02T20:05:00.000Z",
            },
            12,
            300.0,
        ),
        (
            {
                "x-rate-limit-limit": "75",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(NOW) + 840),
            },
            0,
            840.0,
        ),
        (
            {
                "RateLimit-Limit": "3000",
                "RateLimit-Remaining": "2999",
                "RateLimit-Reset": str(int(NOW) + 60),
            },
            2999,
            60.0,
        ),
    ],
)
def test_each_platforms_rate_limit_headers_are_read(
    headers: dict, remaining: int, reset_after: float
) -> None:
    limit = parse_rate_limit(httpx.Headers(headers), now=NOW)
    assert limit.remaining == remaining
    assert limit.reset_after == reset_after


def test_meta_usage_headers_give_a_percentage_and_a_wait() -> None:
    limit = parse_rate_limit(
        httpx.Headers(
            {
                "X-App-Usage": '{"call_count":28,"total_time":25,"total_cputime":25}',
                "X-Business-Use-Case-Usage": '{"1":[{"type":"pages","call_count":96,"total_cputime":4,"total_time":7,"estimated_time_to_regain_access":2}]}',
            }
        ),
        now=NOW,
    )
    assert limit.usage_percent == 96.0
    assert limit.reset_after == 120.0


def test_retry_after_may_be_an_http_date() -> None:
    assert (
        retry_after_seconds(
            httpx.Headers({"Retry-After": "Mon, 02 Mar 2026 20:01:00 GMT"}), now=NOW
        )
        == 60.0
    )


def client(sleeps: list[float]) -> PlatformClient:
    return PlatformClient(
        platform=Platform.MASTODON,
        base_url="https://mastodon.social",
        sleep=sleeps.append,
        jitter=lambda: 1.0,
        clock=lambda: NOW,
    )


def test_a_post_is_not_repeated_after_a_read_timeout() -> None:
    sleeps: list[float] = []
    with respx.mock() as router:
        route = router.post("https://mastodon.social/api/v1/statuses").mock(
            side_effect=httpx.ReadTimeout("slow")
        )
        with pytest.raises(ConnectorError) as caught:
            client(sleeps).post("/api/v1/statuses", data={"status": "hi"})
    assert route.call_count == 1
    assert caught.value.message == "Mastodon did not answer POST /api/v1/statuses (ReadTimeout)."


def test_a_post_is_repeated_when_the_connection_never_opened() -> None:
    sleeps: list[float] = []
    with respx.mock() as router:
        route = router.post("https://mastodon.social/api/v1/statuses").mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={"id": "1"})]
        )
        client(sleeps).post("/api/v1/statuses", data={"status": "hi"})
    assert route.call_count == 2
    assert sleeps == [0.5]


def test_backoff_doubles_up_to_the_cap() -> None:
    sleeps: list[float] = []
    http = client(sleeps)
    http.max_attempts, http.backoff_cap = 8, 4.0
    with respx.mock() as router:
        router.get("https://mastodon.social/x").mock(return_value=httpx.Response(500))
        with pytest.raises(ConnectorError):
            http.get("/x")
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_the_last_rate_limit_is_kept_for_the_budget_display() -> None:
    http = client([])
    with respx.mock() as router:
        router.get("https://mastodon.social/x").mock(
            return_value=httpx.Response(
                200, json=[], headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299"}
            )
        )
        http.get("/x")
    assert http.last_rate_limit.remaining == 299


@pytest.mark.parametrize("status", [502, 504])
def test_a_post_is_not_repeated_after_a_server_error_whatever_key_it_carries(status: int) -> None:
    sleeps: list[float] = []
    with respx.mock() as router:
        route = router.post("https://mastodon.social/api/v1/statuses").mock(
            return_value=httpx.Response(status, headers={"Retry-After": "1"})
        )
        with pytest.raises(ConnectorError) as caught:
            client(sleeps).post(
                "/api/v1/statuses", data={"status": "hi"}, headers={"Idempotency-Key": "k"}
            )
    assert route.call_count == 1
    assert caught.value.permanent is False
    assert sleeps == []


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(403, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}),
        httpx.Response(400, json={"error": "invalid_token", "error_description": "expired"}),
    ],
)
def test_a_token_refused_with_rfc_6750_words_asks_for_a_reconnect_on_any_platform(
    answer: httpx.Response,
) -> None:
    http = PlatformClient(platform=Platform.PINTEREST, base_url="https://api.pinterest.com")
    with respx.mock() as router:
        router.get("https://api.pinterest.com/v5/pins").mock(return_value=answer)
        with pytest.raises(ConnectorError) as caught:
            http.get("/v5/pins")
    assert caught.value.needs_reconnect is True
    assert caught.value.message.startswith(
        f"Pinterest no longer accepts this account's sign-in (HTTP {answer.status_code} on "
        "GET /v5/pins)"
    )
