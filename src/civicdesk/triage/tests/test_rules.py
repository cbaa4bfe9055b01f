from __future__ import annotations

import pytest

from civicdesk.triage.normalization import clean_text
from civicdesk.triage.rules import (
    profanity_rule,
    question_rule,
    self_harm_rule,
    spam_rule,
    threat_rule,
)


def threat(text: str) -> float:
    return threat_rule(clean_text(text)).score


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to shoot up the school tomorrow",
        "bringing my dad's gun to class monday",
        "Don't come to school on Friday. You've been warned.",
        "I know where the principal lives",
        "Voy a matar a la maestra mañana",
        "No vengan mañana a la escuela",
        "i'll k1ll every c0p at the precinct",
    ],
)
def test_threats_against_schools_and_officials_score_high(text: str) -> None:
    assert threat(text) >= 0.6


@pytest.mark.parametrize(
    "text",
    [
        "this test is killing me",
        "Shoot for the stars, class of 2025!",
        "Reminder: lockdown drill at all schools Thursday at 10am",
        "Police said the suspect in the shooting was arrested",
        "The storm will hit the high school hard tomorrow",
        "We killed it at the football game last night",
    ],
)
def test_figures_of_speech_news_and_drills_stay_low(text: str) -> None:
    assert threat(text) < 0.5


def test_threat_reason_names_weapon_and_target() -> None:
    hit = threat_rule(clean_text("there's a gun in my locker and the school will see"))
    assert "weapon" in hit.reason
    assert "school" in hit.reason


def test_zero_width_characters_do_not_hide_a_threat() -> None:
    assert threat("I will sh\u200boot up the sch\u200dool tomorrow") >= 0.6


def test_self_harm_phrases_in_english_and_spanish() -> None:
    assert self_harm_rule(clean_text("i want to kill myself")).score >= 0.9
    assert self_harm_rule(clean_text("Ya no quiero vivir")).score >= 0.9
    assert self_harm_rule(clean_text("this homework makes me want to die lol")).score < 0.5


def test_profanity_reason_masks_the_word() -> None:
    hit = profanity_rule(clean_text("Esta ciudad es una mierda"))
    assert hit.score > 0.5
    assert "mierda" not in hit.reason
    assert hit.reason == "vulgar words: m*****"


def test_spanish_question_marks_count_as_questions() -> None:
    assert question_rule(clean_text("¿A qué hora abre la biblioteca?")).score >= 0.8
    assert question_rule(clean_text("Gracias por todo")).score == 0.0


def test_spam_promotion_with_link() -> None:
    assert (
        spam_rule(clean_text("check out my channel http://spam.example/x and subscribe")).score
        >= 0.8
    )
