from __future__ import annotations

import pytest

from civicdesk.training import heads as training
from civicdesk.training import trainsets
from civicdesk.training.corpora import Split


def split(*rows: tuple[str, int]) -> Split:
    out = Split()
    for text, label in rows:
        out.add(text, label)
    return out


def test_written_rows_and_agency_traffic_carry_their_weights() -> None:
    data = trainsets.SignalData(
        train=split(("wikipedia comment", 0), ("i will find you", 1)),
        written=split(("I'm bringing a gun to Lincoln on Friday", 1)),
        negatives=split(("Route 7 is late again", 0)),
        ordinary=split(("see you at the game tomorrow", 0)),
    )
    rows, weights = training._training_rows(
        data, "threat", [("shoot me a DM", "threat", "0"), ("you idiot", "harassment", "1")]
    )
    assert rows.texts == [
        "wikipedia comment",
        "i will find you",
        "Route 7 is late again",
        "see you at the game tomorrow",
        "I'm bringing a gun to Lincoln on Friday",
        "shoot me a DM",
    ]
    assert rows.labels == [0, 1, 0, 0, 1, 0]
    assert list(weights) == [
        1.0,
        1.0,
        trainsets.TRAFFIC_WEIGHT["threat"],
        trainsets.ORDINARY_WEIGHT["threat"],
        trainsets.WRITTEN_WEIGHT["threat"],
        training.FEEDBACK_WEIGHT,
    ]


def test_threat_threshold_keeps_the_recall_floor() -> None:
    labels = [1, 1, 1, 1, 0, 0, 0, 0]
    scores = [0.9, 0.8, 0.3, 0.12, 0.5, 0.2, 0.1, 0.05]
    threshold = training._pick_threshold("threat", [(labels, scores)])
    found = sum(1 for y, s in zip(labels, scores, strict=True) if y and s >= threshold)
    assert found / 4 >= training.THREAT_RECALL_FLOOR
    # the highest such threshold: one step up loses a threat
    assert threshold == pytest.approx(0.12)


def test_self_harm_posts_are_threat_negatives() -> None:
    negatives = trainsets._as_negatives(split(("i want to end it tonight", 1), ("lol dead", 0)))
    assert (negatives.texts, negatives.labels) == (["i want to end it tonight"], [0])
