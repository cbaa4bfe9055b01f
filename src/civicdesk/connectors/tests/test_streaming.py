"""Following a Mastodon account's stream: events, heartbeats, drops and malformed events."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, ItemKind
from civicdesk.connectors.mastodon import MastodonConnector
from civicdesk.connectors.streaming import MastodonStream, ServerSentEvent, parse_sse
from civicdesk.connectors.tests.contract_cases import PAYLOADS, build, payload

API = "https://mastodon.social"
STREAM = "https://streaming.mastodon.social/api/v1/streaming/user"


def recorded_stream(name: str) -> bytes:
    return (PAYLOADS / "mastodon" / f"{name}.txt").read_bytes()


def dropped_after(body: bytes) -> Iterator[bytes]:
    """A response body that delivers ``body`` and then loses the connection."""
    yield body
    raise httpx.ReadError("connection reset by peer")


def sse_response(body: bytes | Iterator[bytes]) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})


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


class Waits:
    """Stands in for the pause between attempts; remembers each instead of sleeping."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.seconds.append(seconds)
        return False


def follow(connector: MastodonConnector, waits: Waits) -> MastodonStream:
    return MastodonStream(connector, wait=waits, jitter=lambda: 0.5)


def serve_instance(router: respx.Router) -> respx.Route:
    return router.get(f"{API}/api/v2/instance").mock(
        return_value=httpx.Response(200, json=payload("mastodon", "instance"))
    )


class TestParsingServerSentEvents:
    def test_events_are_split_at_blank_lines_and_heartbeats_are_ignored(self) -> None:
        lines = [":thump", "", "event: delete", "data: 1", "", ":thump", "event: update"]
        lines += ["data: {", "data: }", "id: 7", "retry: 1000", ""]
        assert list(parse_sse(lines)) == [
            ServerSentEvent(event="delete", data="1"),
            ServerSentEvent(event="update", data="{\n}"),
        ]

    def test_an_event_cut_off_by_a_dropped_connection_is_not_delivered(self) -> None:
        assert list(parse_sse(["event: delete", "data: 1"])) == []


class TestFollowingTheStream:
    def test_events_become_the_records_a_poll_makes_and_a_drop_is_reconnected(
        self, mastodon: MastodonConnector
    ) -> None:
        waits = Waits()
        with respx.mock() as router:
            instance = serve_instance(router)
            stream = router.get(STREAM).mock(
                side_effect=[
                    sse_response(dropped_after(recorded_stream("stream_first_connection"))),
                    sse_response(recorded_stream("stream_second_connection")),
                ]
            )
            updates = list(itertools.islice(follow(mastodon, waits).updates(), 6))
        assert [u.event for u in updates] == [
            "notification",
            "update",
            "delete",
            "status.update",
            "notification",
            "notification",
        ]
        mention, own_post, deletion, edit, *malformed = updates
        assert [(i.platform_id, i.kind, i.text) for i in mention.items] == [
            ("103186126728896494", ItemKind.REPLY, "@elmcity Is the pool open Saturday?")
        ]
        assert [(i.platform_id, i.kind) for i in own_post.items] == [
            ("103186126728896600", ItemKind.POST)
        ]
        assert deletion.deleted_ids == ("103186126728896494",)
        assert edit.items[0].text == "The Elm St. pool opens Saturday at 11."
        assert edit.items[0].edited_at is not None
        # Reconnected once, after the drop, without asking the instance again.
        assert waits.seconds == [0.5]
        assert instance.call_count == 1
        assert stream.call_count == 2
        assert stream.calls[0].request.headers["Authorization"] == "Bearer mastodon-token"

    def test_a_malformed_event_is_skipped_with_a_message_saying_the_poll_reads_it(
        self, mastodon: MastodonConnector
    ) -> None:
        with respx.mock() as router:
            serve_instance(router)
            router.get(STREAM).mock(
                return_value=sse_response(recorded_stream("stream_second_connection"))
            )
            updates = list(itertools.islice(follow(mastodon, Waits()).updates(), 3))
        bad_json, missing_fields = updates[1], updates[2]
        assert bad_json.items == () and missing_fields.items == ()
        assert bad_json.problem.startswith(
            "Mastodon sent malformed JSON in the notification event of /api/v1/streaming/user"
        )
        assert missing_fields.problem.startswith(
            "Mastodon returned an unexpected payload from the notification event of "
            "/api/v1/streaming/user (created_at: Field required); the answer was not stored."
        )
        assert bad_json.problem.endswith(
            "; the event was not stored. The next poll reads it again."
        )

    def test_other_peoples_posts_and_favourites_are_not_archived(
        self, mastodon: MastodonConnector
    ) -> None:
        with respx.mock() as router:
            serve_instance(router)
            router.get(STREAM).mock(
                return_value=sse_response(recorded_stream("stream_first_connection"))
            )
            updates = list(itertools.islice(follow(mastodon, Waits()).updates(), 3))
        archived = [i.platform_id for u in updates for i in u.items]
        assert "103186126728896601" not in archived
        assert archived == ["103186126728896494", "103186126728896600"]

    def test_failures_to_connect_back_off_exponentially_with_jitter(
        self, mastodon: MastodonConnector
    ) -> None:
        waits = Waits()
        with respx.mock() as router:
            serve_instance(router)
            router.get(STREAM).mock(
                side_effect=[
                    httpx.Response(503, text="Service Unavailable"),
                    httpx.ConnectError("connection refused"),
                    httpx.Response(502, text="Bad Gateway"),
                    sse_response(recorded_stream("stream_second_connection")),
                ]
            )
            next(follow(mastodon, waits).updates())
        # Half (jitter 0.5) of 1 s, 2 s and 4 s.
        assert waits.seconds == [0.5, 1.0, 2.0]

    def test_a_rate_limited_stream_waits_as_long_as_the_server_says(
        self, mastodon: MastodonConnector
    ) -> None:
        waits = Waits()
        with respx.mock() as router:
            serve_instance(router)
            router.get(STREAM).mock(
                side_effect=[
                    httpx.Response(429, headers={"Retry-After": "120"}),
                    sse_response(recorded_stream("stream_second_connection")),
                ]
            )
            next(follow(mastodon, waits).updates())
        assert waits.seconds == [120.0]

    def test_a_refused_token_ends_the_stream_and_asks_for_a_reconnect(
        self, mastodon: MastodonConnector
    ) -> None:
        with respx.mock() as router:
            serve_instance(router)
            router.get(STREAM).mock(
                return_value=httpx.Response(401, json={"error": "The access token is invalid"})
            )
            with pytest.raises(ConnectorError) as caught:
                next(follow(mastodon, Waits()).updates())
        assert caught.value.needs_reconnect is True
        assert caught.value.message == (
            "Mastodon no longer accepts this account's sign-in (HTTP 401 on the stream of "
            "elmcity): The access token is invalid Reconnect the account."
        )

    def test_an_instance_without_a_streaming_address_streams_from_its_own_host(
        self, mastodon: MastodonConnector
    ) -> None:
        with respx.mock() as router:
            router.get(f"{API}/api/v2/instance").mock(return_value=httpx.Response(404))
            stream = router.get(f"{API}/api/v1/streaming/user").mock(
                return_value=sse_response(recorded_stream("stream_second_connection"))
            )
            next(follow(mastodon, Waits()).updates())
        assert stream.called is True

    def test_stopping_while_waiting_to_reconnect_ends_the_stream(
        self, mastodon: MastodonConnector
    ) -> None:
        asked: list[float] = []

        def stop_now(seconds: float) -> bool:
            asked.append(seconds)
            return True

        with respx.mock() as router:
            serve_instance(router)
            router.get(STREAM).mock(return_value=httpx.Response(503))
            assert list(MastodonStream(mastodon, wait=stop_now, jitter=lambda: 0.5).updates()) == []
        assert asked == [0.5]


class TestReadingOneEvent:
    def test_a_delete_names_the_status_including_flake_ids_of_compatible_servers(
        self, mastodon: MastodonConnector
    ) -> None:
        assert mastodon.read_stream_event("delete", "103186126728896494") == (
            [],
            ["103186126728896494"],
        )
        assert mastodon.read_stream_event("delete", "AbCdEf0123456789") == (
            [],
            ["AbCdEf0123456789"],
        )

    def test_a_delete_without_a_status_id_is_refused(self, mastodon: MastodonConnector) -> None:
        with pytest.raises(ConnectorError) as caught:
            mastodon.read_stream_event("delete", "")
        assert caught.value.message == (
            "Mastodon sent a delete event without a status id (''); nothing was recorded."
        )

    def test_events_with_nothing_to_archive_give_nothing(self, mastodon: MastodonConnector) -> None:
        assert mastodon.read_stream_event("filters_changed", "undefined") == ([], [])
        assert mastodon.read_stream_event("announcement", "{}") == ([], [])
