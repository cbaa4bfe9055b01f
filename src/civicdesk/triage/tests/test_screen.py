"""The quick look that puts posts that may concern someone's safety first in a backlog."""

from __future__ import annotations

import json

import pytest

from civicdesk.triage.screen import might_be_urgent, split_urgent


@pytest.mark.parametrize(
    "text",
    [
        "I'm bringing a gun to Lincoln on Friday",
        "gonna shoot up the school tomorrow",
        "i want to kill myself tonight",
        "Voy a matar al director",
        "there will be a b0mb in the gym",
        "see you at the game ⚰️⚰️",
    ],
)
def test_words_of_a_threat_or_of_self_harm_go_first(text: str) -> None:
    assert might_be_urgent(text)


@pytest.mark.parametrize(
    "text",
    [
        "Is there parking at the stadium for the semifinal?",
        "Torchy's.",
        "Bus 12 is late again",
        "Thank you Officer Diaz for visiting our class!",
    ],
)
def test_everyday_posts_wait_their_turn(text: str) -> None:
    assert not might_be_urgent(text)


def test_split_reads_the_stored_text_and_keeps_every_version() -> None:
    versions = [
        (1, json.dumps({"text": "When is the board meeting?"})),
        (2, json.dumps({"text": "I'll shoot you all at the board meeting"})),
        (3, json.dumps({"is_deleted": True})),
    ]
    assert split_urgent(versions) == ([2], [1, 3])
