from __future__ import annotations

import time

import pytest

from civicdesk.triage.scoring import SignalResult, TriageResult, load_triage, threshold_curve
from civicdesk.triage.signals import SIGNALS


@pytest.fixture(scope="module")
def triage():
    return load_triage()


def test_every_signal_is_scored_with_a_reason(triage) -> None:
    result = triage.score("When does the school board meeting start?")
    assert isinstance(result, TriageResult)
    assert set(result.signals) == set(SIGNALS) - {"language"}
    for signal in result.signals.values():
        assert isinstance(signal, SignalResult)
        assert 0.0 <= signal.score <= 1.0
        assert signal.reason
    assert result.language == "en"
    assert result.model_version.startswith("triage/")


def test_a_school_threat_comes_first_with_a_readable_reason(triage) -> None:
    result = triage.score("I'm bringing a gun to Lincoln High tomorrow, don't come")
    assert result.signals["threat"].is_positive is True
    assert result.priority == 1
    assert "weapon" in result.signals["threat"].reason


def test_only_explicit_threats_and_self_harm_ask_to_act_now(triage) -> None:
    """Act now pages people: explicit words and a sure model; the rest is reviewed, not lost."""
    explicit = triage.score("nobody at this school would even notice if i was gone, i cant do this")
    veiled = triage.score("someone should teach the bus drivers a lesson they won't forget")
    announcement = triage.score(
        "We'll shoot the team photos after practice Tuesday at the stadium."
    )
    assert explicit.priority == 1
    assert "self-harm" in explicit.signals["self_harm"].reason
    assert veiled.signals["threat"].is_positive and veiled.priority == 2
    assert announcement.priority > 1


def test_figure_of_speech_is_not_a_threat(triage) -> None:
    assert triage.score("this chemistry test is killing me").signals["threat"].is_positive is False


def test_spanish_question_and_threat(triage) -> None:
    assert triage.score("¿A qué hora abre la biblioteca?").signals["question"].is_positive is True
    result = triage.score("Voy a balacear la escuela el viernes")
    assert result.signals["threat"].is_positive is True
    assert result.language == "es"


def test_sentiment_and_emotion_give_a_label_and_class_scores(triage) -> None:
    result = triage.score("Thank you so much, the new park is wonderful!")
    assert result.signals["sentiment"].label == "positive"
    assert set(result.signals["emotion"].scores) == {"anger", "joy", "optimism", "sadness"}
    assert result.signals["emotion"].label == "joy"


def test_thresholds_can_be_overridden_per_call(triage) -> None:
    text = "the bus was late again"
    assert (
        triage.score(text, thresholds={"complaint": 0.0}).signals["complaint"].is_positive is True
    )
    assert (
        triage.score(text, thresholds={"complaint": 1.0}).signals["complaint"].is_positive is False
    )
    with pytest.raises(ValueError, match="between 0 and 1"):
        triage.score(text, thresholds={"threat": 2})
    with pytest.raises(ValueError, match="No threshold for 'sentiment'"):
        triage.score(text, thresholds={"sentiment": 0.3})


def test_batch_scores_match_single_scores(triage) -> None:
    texts = [
        "you are an idiot",
        "call me at 555-201-3344",
        "free iphone click here http://x.co/win",
    ]
    batch = triage.score_many(texts)
    for text, result in zip(texts, batch, strict=True):
        single = triage.score(text)
        assert {k: v.score for k, v in single.signals.items()} == {
            k: v.score for k, v in result.signals.items()
        }


def test_hostile_input_is_bounded(triage) -> None:
    hostile = [
        "A" * 100_000,
        "\u202e" * 50_000,
        "\u200b".join("kill") * 20_000,
        "<script>" * 20_000,
        "😀" * 50_000,
        "",
    ]
    started = time.perf_counter()
    results = triage.score_many(hostile)
    assert time.perf_counter() - started < 5
    assert results[-1].language == "und"


def test_threshold_curve_lists_precision_and_recall() -> None:
    curve = threshold_curve("threat")
    assert len(curve) >= 10
    assert {"threshold", "precision", "recall"} <= set(curve[0])
    with pytest.raises(ValueError):
        threshold_curve("sentiment")
