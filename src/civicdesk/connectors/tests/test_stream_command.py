"""``civicdesk stream``: each streamed event archived at once, the poll's cursor left alone."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from io import StringIO

import httpx
import pytest
import respx
from django.core.management import CommandError, call_command

from civicdesk.accounts.models import Account
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.connectors.base import Platform
from civicdesk.connectors.mastodon import MastodonConnector
from civicdesk.connectors.streaming import MastodonStream
from civicdesk.connectors.tests.contract_cases import PAYLOADS, payload
from civicdesk.core.models import AuditEvent
from civicdesk.testing.factories import AccountFactory

API = "https://mastodon.social"
STREAM = "https://streaming.mastodon.social/api/v1/streaming/user"
SAVED_CURSOR = '{"v":1,"stream":"notifications","sweeps":{}}'


def recorded_stream(name: str) -> bytes:
    return (PAYLOADS / "mastodon" / f"{name}.txt").read_bytes()


def dropped_after(body: bytes) -> Iterator[bytes]:
    yield body
    raise httpx.ReadError("connection reset by peer")


def then_terminated(body: bytes) -> Iterator[bytes]:
    """Delivers ``body``, then the process receives SIGTERM, as from ``kill`` or systemd.

    The connection stays open until the command has handled the signal, as a real one would.
    """
    yield body
    main = threading.main_thread().ident
    assert main is not None
    signal.pthread_kill(main, signal.SIGTERM)
    assert STREAMS[-1].stop.wait(timeout=10) is True


def sse(body: bytes | Iterator[bytes]) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})


STREAMS: list[MastodonStream] = []


@pytest.fixture(autouse=True)
def reconnect_without_waiting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Jitter 0 makes every backoff 0 s, so streams reconnect at once instead of sleeping."""

    def stream(connector: MastodonConnector) -> MastodonStream:
        STREAMS.append(MastodonStream(connector, jitter=lambda: 0.0))
        return STREAMS[-1]

    monkeypatch.setattr("civicdesk.connectors.management.commands.stream.MastodonStream", stream)
    yield
    STREAMS.clear()


@pytest.fixture
def mastodon_account(flushable_archive) -> Account:
    account = AccountFactory.create(
        platform=Platform.MASTODON,
        handle="elmcity",
        display_name="Elm City",
        options={"instance": API, "account_id": "14715"},
        cursor=SAVED_CURSOR,
    )
    account.set_credentials({"access_token": "mastodon-token"})
    account.save()
    return account


def run_stream(account: Account) -> str:
    out = StringIO()
    call_command("stream", "--account", str(account.pk), stdout=out)
    return out.getvalue()


def test_each_event_is_archived_at_once_and_a_dropped_stream_is_opened_again(
    mastodon_account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="civicdesk")
    handler_before = signal.getsignal(signal.SIGTERM)
    with respx.mock() as router:
        router.get(f"{API}/api/v2/instance").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "instance"))
        )
        stream = router.get(STREAM).mock(
            side_effect=[
                sse(dropped_after(recorded_stream("stream_first_connection"))),
                sse(then_terminated(recorded_stream("stream_second_connection"))),
            ]
        )
        out = run_stream(mastodon_account)

    assert stream.call_count == 2
    reply = Item.objects.get(platform_id="103186126728896494")
    first, deleted = reply.versions.order_by("seq")
    assert deleted.is_deletion is True
    assert deleted.text == first.text == "@elmcity Is the pool open Saturday?"
    post = Item.objects.get(platform_id="103186126728896600")
    assert [v.text for v in post.versions.order_by("seq")] == [
        "The Elm St. pool opens Saturday at 10.",
        "The Elm St. pool opens Saturday at 11.",
    ]
    assert set(ItemVersion.objects.values_list("source", flat=True)) == {"stream"}
    assert Item.objects.count() == 2, "a followed account's post in the home timeline is not ours"

    mastodon_account.refresh_from_db()
    assert mastodon_account.cursor == SAVED_CURSOR
    assert mastodon_account.poll_lease_until is None, "the stream must not hold off the poll"
    assert mastodon_account.status == Account.Status.ACTIVE

    archived = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [line for line in archived if line.startswith("Elm City: ")] == [
        "Elm City: notification 103186126728896494: 1 new versions (1 new items, 0 deletions).",
        "Elm City: update 103186126728896600: 1 new versions (1 new items, 0 deletions).",
        "Elm City: delete 103186126728896494: 1 new versions (0 new items, 1 deletions).",
        "Elm City: status.update 103186126728896600: 1 new versions (0 new items, 0 deletions).",
    ]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    skipped = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(skipped) == 2
    assert skipped[0].startswith(
        "Elm City: Mastodon sent malformed JSON in the notification event of /api/v1/streaming/user"
    )
    assert all(line.endswith("The next poll reads it again.") for line in skipped)
    assert out.splitlines() == [
        "Streaming 1 Mastodon account(s): Elm City. Stop with Ctrl+C.",
        "Stopped streaming 1 Mastodon account(s).",
    ]
    assert signal.getsignal(signal.SIGTERM) is handler_before, "the handler is given back"


def test_a_refused_token_marks_the_account_for_reconnecting(mastodon_account: Account) -> None:
    with respx.mock() as router:
        router.get(f"{API}/api/v2/instance").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "instance"))
        )
        router.get(STREAM).mock(
            return_value=httpx.Response(401, json={"error": "The access token was revoked"})
        )
        with pytest.raises(CommandError) as caught:
            run_stream(mastodon_account)
    assert str(caught.value) == "Streaming stopped for Elm City; see the log above."
    mastodon_account.refresh_from_db()
    assert mastodon_account.status == Account.Status.NEEDS_RECONNECT
    assert "The access token was revoked" in mastodon_account.last_error
    assert AuditEvent.objects.filter(action="account.needs_reconnect").count() == 1


@pytest.mark.django_db
def test_without_a_mastodon_account_there_is_nothing_to_stream() -> None:
    AccountFactory.create(platform=Platform.X, handle="ElmCityX")
    with pytest.raises(CommandError) as caught:
        call_command("stream")
    assert str(caught.value) == "No active Mastodon account to stream; check the account ids."
