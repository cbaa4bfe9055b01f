"""Writing to Mastodon: replies, posts with alt text, deletes and engagement."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import (
    Capability,
    ConnectorError,
    ItemKind,
    MediaRef,
    OutgoingPost,
    UnsupportedOperation,
)
from civicdesk.connectors.mastodon import MastodonConnector
from civicdesk.connectors.tests.contract_cases import NOW, build, payload, raw_payload

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


class TestAReplyWhoseAnswerIsLost:
    """A server may ignore ``Idempotency-Key`` (Takahē does), so a lost answer is never re-sent."""

    def test_a_reply_the_server_made_before_timing_out_is_found_not_posted_twice(
        self, mastodon: MastodonConnector
    ) -> None:
        made: list[dict] = []

        def apply_then_time_out(request: httpx.Request) -> httpx.Response:
            made.append({**payload("mastodon", "status_created"), "created_at": NOW.isoformat()})
            raise httpx.ReadTimeout("read timed out", request=request)

        with respx.mock() as router:
            posts = router.post(f"{API}/api/v1/statuses").mock(side_effect=apply_then_time_out)
            router.get(url__regex=rf"{API}/api/v1/accounts/14715/statuses.*").mock(
                side_effect=lambda request: httpx.Response(200, json=list(made))
            )
            record = mastodon.reply(
                parent_platform_id="103186126728896494",
                post=OutgoingPost(text="Yes, from 9 to 5.", idempotency_key="outbox-42"),
            )
        assert posts.call_count == 1
        assert len(made) == 1
        assert record.platform_id == "103186126728896700"
        assert record.parent_platform_id == "103186126728896494"

    def test_a_reply_that_is_not_on_the_account_after_a_server_error_is_reported_unposted(
        self, mastodon: MastodonConnector
    ) -> None:
        with respx.mock() as router:
            posts = router.post(f"{API}/api/v1/statuses").mock(
                return_value=httpx.Response(503, text="Service Unavailable")
            )
            router.get(url__regex=rf"{API}/api/v1/accounts/14715/statuses.*").mock(
                return_value=httpx.Response(200, json=[payload("mastodon", "post_created")])
            )
            with pytest.raises(ConnectorError) as caught:
                mastodon.reply(
                    parent_platform_id="103186126728896494",
                    post=OutgoingPost(text="Yes, from 9 to 5.", idempotency_key="outbox-42"),
                )
        assert posts.call_count == 1
        assert caught.value.permanent is False
        assert caught.value.message == (
            "Mastodon had a server error on POST /api/v1/statuses (HTTP 503). The status is not "
            "among the account's latest statuses, so it was not posted."
        )

    def test_when_the_account_cannot_be_checked_the_outcome_is_not_retried(
        self, mastodon: MastodonConnector
    ) -> None:
        with respx.mock() as router:
            posts = router.post(f"{API}/api/v1/statuses").mock(
                side_effect=httpx.ReadTimeout("read timed out")
            )
            router.get(url__regex=rf"{API}/api/v1/accounts/14715/statuses.*").mock(
                return_value=httpx.Response(502, text="Bad Gateway")
            )
            with pytest.raises(ConnectorError) as caught:
                mastodon.publish(post=OutgoingPost(text="Pool schedule.", idempotency_key="k"))
        assert posts.call_count == 1
        assert caught.value.permanent is True
        assert "look at the account before posting it again" in caught.value.message

    def test_a_rate_limited_post_is_sent_again_after_the_wait(self) -> None:
        sleeps: list[float] = []
        connector = build(
            MastodonConnector,
            sleeps,
            credentials={"access_token": "mastodon-token"},
            options={"instance": API, "account_id": "14715"},
        )
        with respx.mock() as router:
            posts = router.post(f"{API}/api/v1/statuses").mock(
                side_effect=[
                    httpx.Response(429, headers={"Retry-After": "2"}),
                    httpx.Response(200, json=payload("mastodon", "post_created")),
                ]
            )
            connector.publish(post=OutgoingPost(text="Pool schedule.", idempotency_key="k"))
        assert posts.call_count == 2
        assert sleeps == [2.0]


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
        router.get(f"{API}/api/v1/statuses/1").mock(
            return_value=httpx.Response(404, json={"error": "Record not found"})
        )
        mastodon.delete(platform_id="1")


def test_deleting_someone_elses_status_says_mastodon_does_not_allow_it(
    mastodon: MastodonConnector,
) -> None:
    with respx.mock() as router:
        deleting = router.delete(f"{API}/api/v1/statuses/103186126728896494").mock(
            return_value=httpx.Response(404, json={"error": "Record not found"})
        )
        router.get(f"{API}/api/v1/statuses/103186126728896494").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "status"))
        )
        with pytest.raises(ConnectorError) as caught:
            mastodon.delete(platform_id="103186126728896494")
    assert deleting.call_count == 1
    assert caught.value.permanent is True
    assert caught.value.message == (
        "Mastodon did not delete status 103186126728896494: it was posted by @jane, and an "
        "account may delete only its own statuses (Mastodon said: Record not found)."
    )


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, content=raw_payload("mastodon", "takahe_invalid_token")),
        httpx.Response(401, json={"error": "The access token is invalid"}),
        httpx.Response(403, json={"error": "The access token was revoked"}),
        httpx.Response(403, json={"error": "invalid_token"}),
        httpx.Response(
            400, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}, text="Bad token"
        ),
    ],
    ids=["takahe-400-text", "401", "403-revoked", "403-invalid_token", "400-www-authenticate"],
)
def test_a_refused_token_asks_for_the_account_to_be_reconnected(
    mastodon: MastodonConnector, answer: httpx.Response
) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/api/v1/notifications.*").mock(return_value=answer)
        with pytest.raises(ConnectorError) as caught:
            mastodon.fetch_new(cursor="", limit=40)
    assert caught.value.needs_reconnect is True
    assert caught.value.message.endswith("Reconnect the account.")


def test_takahes_plain_text_answer_is_quoted(mastodon: MastodonConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/api/v1/notifications.*").mock(
            return_value=httpx.Response(
                400, content=raw_payload("mastodon", "takahe_invalid_token")
            )
        )
        with pytest.raises(ConnectorError) as caught:
            mastodon.fetch_new(cursor="", limit=40)
    assert caught.value.message == (
        "Mastodon no longer accepts this account's access token "
        "(HTTP 400: Invalid Bearer token). Reconnect the account."
    )


def test_a_bad_request_that_is_not_about_the_token_stays_an_error(
    mastodon: MastodonConnector,
) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{API}/api/v1/notifications.*").mock(
            return_value=httpx.Response(400, json={"error": "Validation failed"})
        )
        with pytest.raises(ConnectorError) as caught:
            mastodon.fetch_new(cursor="", limit=40)
    assert caught.value.needs_reconnect is False
    assert caught.value.permanent is True


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
