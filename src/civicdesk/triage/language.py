"""Which language an item is written in, as an ISO 639-1 code ("und" when there is no text to judge).

lingua is restricted to languages that US agencies publish in or are asked about under
language-access plans; fewer candidates make short posts faster and less often misread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGE_VERSION = "lingua-2.1.1-18lang"
UNDETERMINED = "und"
CANDIDATES = (
    Language.ENGLISH,
    Language.SPANISH,
    Language.FRENCH,
    Language.GERMAN,
    Language.PORTUGUESE,
    Language.ITALIAN,
    Language.ARABIC,
    Language.HINDI,
    Language.CHINESE,
    Language.VIETNAMESE,
    Language.KOREAN,
    Language.TAGALOG,
    Language.RUSSIAN,
    Language.JAPANESE,
    Language.POLISH,
    Language.UKRAINIAN,
    Language.PERSIAN,
    Language.SOMALI,
)
# Handles, links and hashtags are not language; a post of only those has none.
_NOISE = re.compile(r"@\w+|#\w+|https?://\S+|www\.\S+|\d+")
_LETTER = re.compile(r"[^\W\d_]")
# Short posts of two or three English words are often closer to another language's letter
# statistics; below this confidence English is the better guess for a US agency's inbox.
_MIN_CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    return (
        LanguageDetectorBuilder.from_languages(*CANDIDATES).with_preloaded_language_models().build()
    )


def _prepare(text: str) -> str:
    return _NOISE.sub(" ", text[:500]).strip()


def detect_languages(texts: Sequence[str]) -> list[str]:
    prepared = [_prepare(t) for t in texts]
    out = [UNDETERMINED] * len(texts)
    todo = [i for i, t in enumerate(prepared) if len(_LETTER.findall(t)) >= 3]
    if not todo:
        return out
    results = detector().compute_language_confidence_values_in_parallel([prepared[i] for i in todo])
    for i, values in zip(todo, results, strict=True):
        if not values:
            continue
        best = values[0]
        code = best.language.iso_code_639_1.name.lower()
        if (
            best.value < _MIN_CONFIDENCE
            and code != "en"
            and any(v.language == Language.ENGLISH for v in values[:3])
        ):
            code = "en"
        out[i] = code
    return out


def detect_language(text: str) -> str:
    return detect_languages([text])[0]
