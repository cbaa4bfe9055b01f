from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civicdesk.escalation.links import LinkProblem, acknowledge_token, notification_of


def test_a_link_names_its_notification() -> None:
    assert notification_of(acknowledge_token(42)) == 42


def test_a_changed_link_is_refused_as_forged() -> None:
    token = acknowledge_token(42)
    forged = token.replace("42", "43", 1)
    with pytest.raises(LinkProblem, match="not valid"):
        notification_of(forged)
    with pytest.raises(LinkProblem, match="not valid"):
        notification_of("42:abc:def")


def test_a_link_from_another_site_is_refused(settings) -> None:
    token = acknowledge_token(42)
    settings.SECRET_KEY = "another site's key, long enough to sign with 1234567890"
    with pytest.raises(LinkProblem, match="not valid"):
        notification_of(token)


def test_an_old_link_has_expired() -> None:
    with time_machine.travel("2026-03-01 23:00 +0000", tick=False) as traveller:
        token = acknowledge_token(7)
        traveller.shift(timedelta(hours=23))
        assert notification_of(token) == 7
        traveller.shift(timedelta(hours=2))
        with pytest.raises(LinkProblem, match="expired"):
            notification_of(token)
