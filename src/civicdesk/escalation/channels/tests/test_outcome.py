from __future__ import annotations

import pytest

from civicdesk.escalation.channels import MAX_ATTEMPTS, Outcome, Status, backoff


def test_backoff_doubles_from_fifteen_seconds_up_to_fifteen_minutes() -> None:
    waits = [backoff(attempt) for attempt in range(1, MAX_ATTEMPTS + 3)]
    assert waits == [15, 30, 60, 120, 240, 480, 900, 900, 900, 900]


def test_backoff_stays_capped_for_any_attempt() -> None:
    assert backoff(10_000) == 900


def test_attempts_are_counted_from_one() -> None:
    with pytest.raises(ValueError, match="Attempts are counted from 1, not 0."):
        backoff(0)


def test_an_error_is_kept_as_one_short_line() -> None:
    outcome = Outcome.failed("550 mailbox\r\n  unavailable " + "x" * 1000)
    assert outcome.status == Status.FAILED
    assert outcome.error.startswith("550 mailbox unavailable xxx")
    assert len(outcome.error) == 300


def test_statuses_read_as_their_names() -> None:
    assert Outcome.delivered("SM1") == Outcome(Status.DELIVERED, provider_id="SM1")
    assert Outcome.retry("busy", retry_after=30).status == "retry"
