from __future__ import annotations

import pytest

from civicdesk.triage.pii import find_pii


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("call me at (555) 201-3344 anytime", "PHONE_NUMBER"),
        ("my email is jane.doe@example.org", "EMAIL_ADDRESS"),
        ("she lives at 1420 Oak Street Apt 3", "STREET_ADDRESS"),
        ("Vive en Calle Morelos 215, colonia centro", "STREET_ADDRESS"),
        ("Tommy, DOB 04/12/2011, is in 5th grade", "DATE_OF_BIRTH"),
        ("his student id is 20231145", "STUDENT_ID"),
        ("su matrícula es 20231145", "STUDENT_ID"),
        ("ssn 123-45-6789", "US_SSN"),
        ("card 4111 1111 1111 1111", "CREDIT_CARD"),
    ],
)
def test_finds_personal_data(text: str, kind: str) -> None:
    finding = find_pii(text)
    assert finding.score >= 0.5
    assert kind in {s.kind for s in finding.spans}


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is on 11/14/2025 at 7pm",
        "Route 9 is closed",
        "Mayor Smith spoke at the parade",
        "Call 911 in an emergency",
    ],
)
def test_ordinary_text_has_no_personal_data(text: str) -> None:
    assert find_pii(text).score == 0.0


def test_spans_point_into_the_text() -> None:
    text = "write to ana@example.com"
    span = find_pii(text).spans[0]
    assert text[span.start : span.end] == "ana@example.com"
