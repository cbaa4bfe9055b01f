"""Rules that read a message the way a threat assessor would: who, what weapon, which target, when.

Each rule returns a score in [0, 1] and a reason a comms officer can read. Rules err toward
recall for threats and self-harm (domain.md §5: treat every threat as credible; false positives
go to a person), and step back only for recognisable figures of speech, news, drills, weather
and sports talk.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from civicdesk.triage import lexicons

RULES_VERSION = "rules-2026.12.1"


@dataclass(frozen=True)
class RuleHit:
    score: float
    reason: str


NO_HIT = RuleHit(0.0, "")


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(words) + r")(?![\w'])")


_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_WORD = re.compile(r"\b(?=\w*[a-z])(?=\w*[013457@$])[\w@$]{3,}\b")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_ELONGATED = re.compile(r"([a-z])\1{2,}")


@lru_cache(maxsize=4096)
def rule_text(cleaned: str) -> str:
    """Lower-case, accent-free, leetspeak-folded text that the word lists are written for."""
    text = unicodedata.normalize("NFKD", cleaned.lower().translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
    return _ELONGATED.sub(r"\1", text)


_VERB = _pattern(lexicons.VIOLENCE_VERBS)
_NOUN = _pattern(lexicons.VIOLENCE_NOUNS)
_WEAPON = _pattern(lexicons.WEAPONS)
_TARGET = _pattern(lexicons.TARGETS)
_INTENT = _pattern(lexicons.INTENT)
_TIME = _pattern(lexicons.TIMES)
_HARM = _pattern(lexicons.HARM)
_VEILED = _pattern(lexicons.VEILED)
_FIGURATIVE = _pattern(lexicons.FIGURATIVE)
_NATURE_SPORTS = _pattern(lexicons.NATURE_AND_SPORTS)
_REPORTING = _pattern(lexicons.REPORTING)
# Words no sports or weather report uses, which keep their weight in that context.
_LETHAL = _pattern(
    [
        r"body ?bags?",
        r"bodies",
        r"hit ?list",
        r"kill ?list",
        r"shooter",
        r"columbine",
        r"sandy hook",
        r"uvalde",
    ]
)
# Places named first in a reason, ahead of people and objects ("a school", not "a locker").
_INSTITUTION = re.compile(
    r"school|escuela|colegio|campus|prepa|secundaria|primaria|city hall|ayuntamiento|police|station|precinct|courthouse|library|church|stadium|office|alcaldia"
)
_SECOND_PERSON = _pattern(
    [
        r"you",
        r"u",
        r"ya",
        r"your",
        r"ur",
        r"him",
        r"her",
        r"them",
        r"y'?all",
        r"ustedes",
        r"te",
        r"los",
        r"las",
        r"les",
        r"ti",
    ]
)
_FIRST_PERSON = _pattern(
    [r"i", r"i'?m", r"i'?ll", r"imma", r"ima", r"we", r"we'?ll", r"my", r"yo", r"voy", r"vamos"]
)
_DIRECT = _pattern(
    [
        r"shoot(?:ing)? (?:\w+ ){0,2}up(?: (?:the|this|our|my|your|that) \w+)?",
        r"shoot ?up",
        r"bomb (?:the|this|our|your|that) \w+",
        r"(?:kill|shoot|stab|murder|hurt) (?:all|every|everyone|everybody|you all|y'?all|them all|all of (?:you|them))",
        r"(?:kill|shoot|stab|murder|strangle|hang) (?:you|u|him|her|them|that \w+|this \w+|the (?:teacher|principal|mayor|cop|officer)s?)",
        r"(?:te|los|las|les|lo|la) (?:voy|vamos|van) a (?:matar|disparar|balear|quemar|apunalar|golpear|partir)",
        r"(?:voy|vamos|van) a (?:matar|disparar|balear|quemar|volar) (?:a|la|el|los|las|todos)",
        r"(?:te|los|las) mato",
        r"(?:quemo|balaceo|exploto|vuelo|incendio) (?:la|el|los|las|su|tu) \w+",
        r"(?:va|van) a (?:haber|ver) (?:una |un )?(?:balacera|tiroteo|masacre|matanza|muertos)",
        r"(?:pongo|poner|voy a poner) una bomba",
        r"(?:get|getting|gets|gonna get|will get) shot up",
    ]
)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]


def _outside(
    spans: list[tuple[int, int, str]], masks: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    return [s for s in spans if not any(m[0] <= s[0] and s[1] <= m[1] for m in masks)]


def threat_rule(cleaned: str) -> RuleHit:
    """Score threat evidence from weapons, targets, intent, timing and veiled-threat phrases."""
    text = rule_text(cleaned)
    figurative = _spans(_FIGURATIVE, text)
    verbs = _outside(_spans(_VERB, text), figurative)
    weapons = _outside(_spans(_WEAPON, text), figurative)
    nouns = _outside(_spans(_NOUN, text), figurative)
    direct = _outside(_spans(_DIRECT, text), figurative)
    veiled = _spans(_VEILED, text)
    targets = _spans(_TARGET, text)
    intents = _spans(_INTENT, text)
    times = _spans(_TIME, text)
    has_person = bool(_SECOND_PERSON.search(text))
    first_person = bool(_FIRST_PERSON.search(text))
    named = [t[2] for t in targets if _INSTITUTION.search(t[2])] or [t[2] for t in targets]
    target = named[0] if named else ""
    intent_before_verb = any(i[0] < v[0] <= i[1] + 40 for i in intents for v in verbs + direct)

    hits: list[RuleHit] = []
    if direct:
        hits.append(RuleHit(0.9, f"threatens violence: \u201c{direct[0][2]}\u201d"))
    if veiled:
        hits.append(RuleHit(0.85, f"veiled threat: \u201c{veiled[0][2]}\u201d"))
    if intent_before_verb:
        score = 0.9 if (targets or has_person or weapons) else 0.7
        verb = (verbs + direct)[0][2]
        hits.append(
            RuleHit(score, f"states an intent to {verb}" + (f" ({target})" if target else ""))
        )
    if weapons and targets:
        score = 0.92 if (intents or times) else 0.75
        hits.append(RuleHit(score, f"mentions a weapon ({weapons[0][2]}) and a {target}"))
    elif weapons and (intents or times):
        hits.append(RuleHit(0.75, f"mentions a weapon ({weapons[0][2]}) with a time or plan"))
    if nouns and targets:
        score = 0.85 if (intents or times) else 0.6
        hits.append(RuleHit(score, f"mentions a {nouns[0][2]} and a {target}"))
    elif nouns and (intents or times):
        hits.append(RuleHit(0.6, f"mentions a {nouns[0][2]} with a time or plan"))
    harms = _outside(_spans(_HARM, text), figurative)
    if harms and (targets or has_person) and (intents or times or first_person) and not hits:
        aimed_at = target or "person"
        hits.append(
            RuleHit(0.6, f"talks about harm ({harms[0][2]}) to a {aimed_at} with a time or plan")
        )
    if verbs and targets and not hits:
        hits.append(RuleHit(0.55, f"violent word ({verbs[0][2]}) about a {target}"))
    if verbs and not hits:
        hits.append(RuleHit(0.35 if has_person else 0.25, f"violent word: {verbs[0][2]}"))
    if (weapons or nouns) and not hits:
        hits.append(RuleHit(0.25, f"mentions {(weapons + nouns)[0][2]}"))
    if not hits:
        return NO_HIT
    best = max(hits, key=lambda h: h.score)

    # News, remembrance and drill announcements talk about violence without threatening it;
    # weather and sports borrow its words. Only a first-person plan or a veiled threat
    # survives that context at full strength.
    speaks_for_self = first_person and intent_before_verb
    if not veiled and not speaks_for_self:
        if _REPORTING.search(text):
            best = RuleHit(best.score * 0.45, best.reason + " (in a news or drill context)")
        elif _NATURE_SPORTS.search(text) and not weapons and not _LETHAL.search(text):
            best = RuleHit(best.score * 0.55, best.reason + " (weather or sports context)")
    return best


_SELF_HARM = _pattern(lexicons.SELF_HARM)
_HYPERBOLE = _pattern(lexicons.SELF_HARM_HYPERBOLE)
_HELP = _pattern(lexicons.SELF_HARM_HELP)


def self_harm_rule(cleaned: str) -> RuleHit:
    text = rule_text(cleaned)
    match = _SELF_HARM.search(text)
    if not match:
        return NO_HIT
    reason = f"talks about self-harm: \u201c{match.group(0)}\u201d"
    if _HELP.search(text):
        return RuleHit(0.3, reason + " (help or prevention information)")
    if _HYPERBOLE.search(text):
        # "this homework makes me want to die lol" is usually hyperbole, but a person reviews it.
        return RuleHit(0.45, reason + " (may be hyperbole)")
    # 1.0 so that, halved with the model score (signals.combine), a clear phrase still
    # crosses the threshold when the model has never seen the language.
    return RuleHit(1.0, reason)


_PROFANITY = _pattern(lexicons.PROFANITY)


def profanity_rule(cleaned: str) -> RuleHit:
    words = sorted({m.group(0) for m in _PROFANITY.finditer(rule_text(cleaned))})
    if not words:
        return NO_HIT
    shown = ", ".join(w[0] + "*" * (len(w) - 1) for w in words[:3])
    return RuleHit(0.9, f"vulgar words: {shown}")


_QUESTION_START = re.compile(
    r"^(?:@\w+\s+)*(?:who|what|when|where|why|how|which|whose|is|are|am|was|were|can|could|will|would|"
    r"do|does|did|should|shall|has|have|may|might|any(?:one|body)|quien|que|cuando|donde|como|por ?que|"
    r"cual|cuanto|cuanta|cuantos|hay|puedo|pueden|podrian|se puede|alguien|saben|sabe)\b"
)


# Accented interrogatives open a Spanish question even when the writer leaves out ¿ and ?.
_ACCENTED = re.compile(
    r"^(?:qué|cómo|dónde|cuándo|cuánt[oa]s?|quién(?:es)?|cuál(?:es)?|por qué)\b", re.I
)


def question_rule(cleaned: str) -> RuleHit:
    if _ACCENTED.search(cleaned.strip()):
        return RuleHit(0.7, "asks a question (qué, cómo, dónde…)")
    text = rule_text(cleaned)
    if "¿" in text:
        return RuleHit(0.85, "asks a question (¿…?)")
    asks = "?" in text
    starts = bool(_QUESTION_START.search(text))
    if asks and starts:
        return RuleHit(0.7, "asks a question")
    if asks:
        return RuleHit(0.45, "ends with a question mark")
    return NO_HIT


_SPAM = _pattern(
    [
        r"check (?:out )?my (?:channel|page|profile|video|music|song|mixtape|site|website)",
        r"subscribe",
        r"sub4sub",
        r"follow (?:me|my|back)",
        r"(?:dm|message|text|call) me (?:for|to)",
        r"promo ?code",
        r"(?:click|tap) (?:here|the link|link)",
        r"link in (?:my )?bio",
        r"free (?:followers|likes|gift|iphone|money|bitcoin|crypto)",
        r"earn \$?\d+",
        r"work from home",
        r"(?:won|win|winner|claim) (?:a |your |the )?(?:prize|cash|reward|gift ?card|iphone)",
        r"bitcoin",
        r"crypto",
        r"forex",
        r"investment opportunity",
        r"onlyfans",
        r"whatsapp",
        r"gana dinero",
        r"sigueme",
        r"suscribete",
    ]
)
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b\w+\.(?:com|net|org|ly|info|biz|xyz|top)/\S*")


def spam_rule(cleaned: str) -> RuleHit:
    text = rule_text(cleaned)
    links = len(_LINK.findall(text))
    match = _SPAM.search(text)
    if match and links:
        return RuleHit(0.85, f"promotion with a link: \u201c{match.group(0)}\u201d")
    if match:
        return RuleHit(0.6, f"promotional phrase: \u201c{match.group(0)}\u201d")
    if links >= 3:
        return RuleHit(0.7, f"{links} links")
    words = text.split()
    if len(words) >= 12 and len(set(words)) / len(words) < 0.3:
        return RuleHit(0.7, "the same words repeated over and over")
    return NO_HIT


RULES = {
    "threat": threat_rule,
    "self_harm": self_harm_rule,
    "profanity": profanity_rule,
    "question": question_rule,
    "spam": spam_rule,
}
