"""Find personal data in a message: phones, e-mail, street addresses, birth dates, student ids.

Pattern-based on purpose: the kinds of personal data are few and well-shaped, a rule's reason
is exact ("contains a phone number"), and the spans can drive redaction later. A name on its
own is not flagged (public comments are full of names); a name next to a birth date is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers

PII_VERSION = "pii-2025.11.1"

_EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[a-z]{2,24}\b", re.I)
_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}[- ](?!00)\d{2}[- ](?!0000)\d{4}\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_IP = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_STREET_TYPES = (
    r"st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|ct|court|way|pl|place|ter|terrace|pkwy|parkway|"
    r"hwy|highway|cir|circle|trl|trail|sq|square|loop|row|alley|crescent|plaza"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}(?:-\d{{1,4}})?\s+(?:[NSEW]\.?\s+)?(?:[A-Za-zÀ-ÿ0-9'.]+\s+){{0,4}}(?:{_STREET_TYPES})\b\.?"
    rf"(?:,?\s*(?:apt|apartment|unit|suite|ste|#)\.?\s*[\w-]+)?",
    re.I,
)
_ADDRESS_ES = re.compile(
    r"\b(?:calle|avenida|av\.|avda\.?|carrera|cra\.?|colonia|col\.|paseo|camino|privada|boulevard)\s+"
    r"(?:[A-Za-zÀ-ÿ0-9'.]+\s+){0,4}(?:#|no\.?|n[úu]m(?:ero)?\.?)?\s*\d{1,5}\b",
    re.I,
)
_UNIT = re.compile(
    r"\b(?:apt|apartment|suite|ste|unit)\.?\s*#?\d{1,5}\b|\bPSC \d{3,5},? Box \d{2,5}\b|\bP\.? ?O\.? Box \d{1,6}\b",
    re.I,
)
_ADDRESS_INTL = re.compile(
    r"\b(?:rua|via|rue|plaza|piazza|calle|avenida|praça|travessa)\s+(?:[A-Za-zÀ-ÿ'.]+\s+){1,4}\d{1,5}\b"
    r"|\b[A-ZÀ-Ý][\wÀ-ÿ]+(?:strasse|straße|gasse|weg|tie|katu|gata|vej|laan|straat|str\.)\s+\d{1,4}\b",
    re.I,
)
_LIVES_AT = re.compile(
    r"\b(?:lives? (?:at|on)|living at|address (?:is|:)|my address|vive en|vivo en|domicilio|direcci[óo]n(?: es|:))\s+[^.!?\n]{0,40}\d{1,6}[^.!?\n]{0,30}",
    re.I,
)
_PHONE_LOOSE = re.compile(
    r"(?<![\w-])(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]\d{2,4}[\s.-]\d{2,4}(?:[\s.-]\d{2,4})?(?![\w-])"
)
_DATE_SHAPE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$")
_DATE = r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.? \d{1,2},? \d{4}|\d{1,2} (?:de )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)[a-z]*\.?,? (?:de )?\d{4})"
_BIRTH = re.compile(
    rf"\b(?:dob|d\.o\.b\.|date of birth|birth ?date|born(?: on)?|birthday(?: is)?|fecha de nacimiento|naci[óo] el|nac\.)\s*[:\-]?\s*{_DATE}",
    re.I,
)
_STUDENT_ID = re.compile(
    r"\b(?:student|pupil|school|estudiante|alumno|alumna)\s*(?:id|i\.d\.|number|no\.?|#|num(?:ber|ero)?)\s*(?:is|es|:|#)?\s*[A-Z]{0,3}\d{4,10}\b"
    r"|\b(?:matr[íi]cula|lunch (?:pin|number)|locker combination)(?:\s+\w+){0,4}?\s*(?:es|is|:|#)?\s*\d{4,10}\b",
    re.I,
)
_DRIVER_LICENSE = re.compile(
    r"\b(?:driver'?s? licen[cs]e|dl|licencia de conducir)\s*(?:no\.?|number|#|:)?\s*[A-Z]{0,2}\d{5,12}\b",
    re.I,
)


@dataclass(frozen=True)
class PiiSpan:
    kind: str
    start: int
    end: int


@dataclass
class PiiFinding:
    score: float
    reason: str
    spans: list[PiiSpan] = field(default_factory=list)


_LABELS = {
    "EMAIL_ADDRESS": "an e-mail address",
    "PHONE_NUMBER": "a phone number",
    "US_SSN": "a social security number",
    "CREDIT_CARD": "a payment card number",
    "STREET_ADDRESS": "a street address",
    "DATE_OF_BIRTH": "a date of birth",
    "STUDENT_ID": "a student id",
    "IP_ADDRESS": "an IP address",
    "IBAN_CODE": "a bank account number",
    "US_DRIVER_LICENSE": "a driver's license number",
}


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_pii(text: str) -> PiiFinding:
    """Return every personal-data span found in cleaned text, and an overall score.

    The score is 0.95 when any span is found and 0 otherwise: patterns either match the shape
    of personal data or they don't, and a threshold setting still applies downstream.
    """
    n_digits = sum(ch.isdigit() for ch in text)
    if n_digits == 0 and "@" not in text:
        # Every kind of personal data found here contains a digit or an @.
        return PiiFinding(0.0, "")
    spans: list[PiiSpan] = []

    def add(kind: str, pattern: re.Pattern[str]) -> None:
        spans.extend(PiiSpan(kind, m.start(), m.end()) for m in pattern.finditer(text))

    add("EMAIL_ADDRESS", _EMAIL)
    add("US_SSN", _SSN)
    add("STREET_ADDRESS", _ADDRESS)
    add("STREET_ADDRESS", _ADDRESS_ES)
    add("STREET_ADDRESS", _ADDRESS_INTL)
    add("STREET_ADDRESS", _UNIT)
    add("STREET_ADDRESS", _LIVES_AT)
    add("DATE_OF_BIRTH", _BIRTH)
    add("STUDENT_ID", _STUDENT_ID)
    add("IP_ADDRESS", _IP)
    add("IBAN_CODE", _IBAN)
    add("US_DRIVER_LICENSE", _DRIVER_LICENSE)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            spans.append(PiiSpan("CREDIT_CARD", m.start(), m.end()))
    taken = [(s.start, s.end) for s in spans]
    for region in ("US", "MX") if n_digits >= 7 else ():
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID, max_tries=20
        ):
            if not any(a <= match.start < b for a, b in taken):
                spans.append(PiiSpan("PHONE_NUMBER", match.start, match.end))
                taken.append((match.start, match.end))
    for m in _PHONE_LOOSE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if (
            8 <= len(digits) <= 15
            and not _DATE_SHAPE.match(m.group(0).strip())
            and not any(a <= m.start() < b for a, b in taken)
        ):
            spans.append(PiiSpan("PHONE_NUMBER", m.start(), m.end()))
    if not spans:
        return PiiFinding(0.0, "")
    kinds = sorted({s.kind for s in spans}, key=list(_LABELS).index)
    return PiiFinding(
        0.95,
        "contains " + " and ".join(_LABELS[k] for k in kinds[:3]),
        sorted(spans, key=lambda s: s.start),
    )
