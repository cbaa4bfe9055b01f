"""Which rows train each signal, and which held-out rows judge it."""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from civicdesk.triage import corpora
from civicdesk.triage.corpora import Split

PACKAGE_DIR = Path(__file__).resolve().parent
AUTHORED = PACKAGE_DIR / "examples" / "authored.csv"
DEVSETS = PACKAGE_DIR / "devsets"


@dataclass
class SignalData:
    train: Split
    vals: dict[str, Split] = field(default_factory=dict)
    primary: str = ""  # the validation set that picks C and the threshold
    sources: list[str] = field(default_factory=list)


def _merge(*splits: Split) -> Split:
    out = Split()
    for split in splits:
        out.texts.extend(split.texts)
        out.labels.extend(split.labels)
    return out


def devset(name: str) -> Split:
    out = Split()
    with (DEVSETS / name).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out.add(row["text"], int(row["label"]))
    return out


# Combinations of plan x act x target x time. They teach the model that the pieces of a
# threat belong together; matching negatives reuse the same targets so that naming a school
# or an officer is never evidence by itself.
_THREAT_PLANS = [
    "i'm going to",
    "gonna",
    "i will",
    "we're gonna",
    "im about to",
    "imma",
    "i'm ready to",
    "someone should",
]
_THREAT_ACTS = [
    "shoot up",
    "bomb",
    "burn down",
    "blow up",
    "attack",
    "kill everyone at",
    "stab someone at",
    "bring a gun to",
    "hurt people at",
]
_TARGETS = [
    "the school",
    "city hall",
    "the police station",
    "graduation",
    "the parade",
    "my class",
    "the board meeting",
    "the library",
    "the football game",
    "the mayor's office",
]
_TIMES = ["tomorrow", "on friday", "next week", "tonight", "", "during lunch"]
_SAFE_FRAMES = [
    "reminder: lockdown drill at {t} {w}",
    "police said the suspect near {t} was arrested {w}",
    "the storm will hit {t} hard {w}",
    "we had a blast at {t} {w}",
    "can't wait for {t} {w}",
    "who is shooting photos at {t} {w}?",
    "this line at {t} is killing me",
    "we're going to crush it at {t} {w}",
    "thoughts and prayers for everyone hurt near {t}",
    "is {t} closed {w}?",
    "i'm going to complain about {t} {w}",
    "let's fill {t} with flowers {w}",
]
# The same plans with harmless acts, so that "i'm going to" or "voy a" is never evidence alone.
_SAFE_ACTS = [
    "visit",
    "bring cupcakes to",
    "volunteer at",
    "complain about",
    "shoot some photos at",
    "shoot hoops at",
    "clean up",
    "vote at",
    "pick up my kid from",
    "speak at",
    "sing at",
    "shoot you an email about",
    "bring my questions to",
]
_ES_SAFE_ACTS = [
    "visitar",
    "llevar pastel a",
    "ir a",
    "limpiar",
    "votar en",
    "pelear la multa en",
    "quejarme en",
    "cantar en",
]
_ES_PLANS = ["voy a", "vamos a", "mañana voy a", "les juro que voy a"]
_ES_ACTS = [
    "balacear",
    "quemar",
    "volar",
    "matar a todos en",
    "llevar una pistola a",
    "poner una bomba en",
]
_ES_TARGETS = [
    "la escuela",
    "el ayuntamiento",
    "la comisaría",
    "la graduación",
    "el desfile",
    "mi salón",
]
_ES_SAFE = [
    "simulacro en {t} mañana",
    "la tormenta va a pegar en {t}",
    "nos divertimos mucho en {t}",
    "¿a qué hora abre {t}?",
    "la policía detuvo a un sospechoso cerca de {t}",
]


def threat_templates(seed: int) -> Split:
    rng = random.Random(seed)
    out = Split()
    for _ in range(220):
        text = f"{rng.choice(_THREAT_PLANS)} {rng.choice(_THREAT_ACTS)} {rng.choice(_TARGETS)} {rng.choice(_TIMES)}"
        out.add(text.strip(), 1)
    for _ in range(60):
        out.add(f"{rng.choice(_ES_PLANS)} {rng.choice(_ES_ACTS)} {rng.choice(_ES_TARGETS)}", 1)
    for _ in range(260):
        frame = rng.choice(_SAFE_FRAMES)
        out.add(frame.format(t=rng.choice(_TARGETS), w=rng.choice(_TIMES)).strip(), 0)
    for _ in range(60):
        out.add(rng.choice(_ES_SAFE).format(t=rng.choice(_ES_TARGETS)), 0)
    for _ in range(200):
        text = f"{rng.choice(_THREAT_PLANS[:-1])} {rng.choice(_SAFE_ACTS)} {rng.choice(_TARGETS)} {rng.choice(_TIMES)}"
        out.add(text.strip(), 0)
    for _ in range(60):
        out.add(f"{rng.choice(_ES_PLANS)} {rng.choice(_ES_SAFE_ACTS)} {rng.choice(_ES_TARGETS)}", 0)
    return out


def _short(split: Split, limit: int = 280) -> Split:
    out = Split()
    for text, label in zip(split.texts, split.labels, strict=True):
        if len(text) <= limit:
            out.add(text, label)
    return out


def _normal(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


_POLARITY = {"joy": "positive", "optimism": "positive", "anger": "negative", "sadness": "negative"}


def signal_data(signal: str, data_dir: Path, seed: int) -> SignalData:
    """Assemble train and validation rows for one learned signal."""
    d = data_dir
    authored = corpora.authored(AUTHORED, signal)
    if signal == "threat":
        jig_tr, jig_va = corpora.jigsaw(d, "threat")
        ger_tr, ger_va = corpora.germeval_threat(d)
        return SignalData(
            _merge(jig_tr, ger_tr, authored, threat_templates(seed)),
            {"jigsaw": jig_va, "germeval_de": ger_va, "threat_dev": devset("threat_dev.csv")},
            primary="threat_dev",
            sources=["jigsaw_subset", "germeval_violence_de", "examples/authored.csv", "templates"],
        )
    if signal == "self_harm":
        tr, va = corpora.labelled_csv(d, "suicidal_intent", "suicidal")
        return SignalData(
            _merge(tr, authored),
            {"suicidal_intent": va, "suicidal_intent_short": _short(va)},
            primary="suicidal_intent_short",
            sources=["suicidal_intent", "examples/authored.csv"],
        )
    if signal == "harassment":
        tr, va = corpora.jigsaw(d, "insult")
        return SignalData(
            _merge(tr, authored),
            {"jigsaw_insult": va},
            primary="jigsaw_insult",
            sources=["jigsaw_subset"],
        )
    if signal == "hate":
        te_tr = corpora.tweeteval(d, "hate", "train")
        dav_tr, dav_va = corpora.davidson(d, {0})
        jig_tr, jig_va = corpora.jigsaw(d, "identity_hate")
        return SignalData(
            _merge(te_tr, dav_tr, jig_tr, authored),
            {
                "tweeteval_hate": corpora.tweeteval(d, "hate", "val"),
                "davidson_hate": dav_va,
                "jigsaw_identity_hate": jig_va,
            },
            primary="tweeteval_hate",
            sources=["tweeteval_hate", "davidson2017", "jigsaw_subset"],
        )
    if signal == "offensive":
        return SignalData(
            _merge(corpora.tweeteval(d, "offensive", "train"), authored),
            {"tweeteval_offensive": corpora.tweeteval(d, "offensive", "val")},
            primary="tweeteval_offensive",
            sources=["tweeteval_offensive"],
        )
    if signal == "profanity":
        jig_tr, jig_va = corpora.jigsaw(d, "obscene")
        dav_tr, dav_va = corpora.davidson(d, {0, 1})
        return SignalData(
            _merge(jig_tr, dav_tr, authored),
            {"jigsaw_obscene": jig_va, "davidson_offensive": dav_va},
            primary="jigsaw_obscene",
            sources=["jigsaw_subset", "davidson2017"],
        )
    if signal == "spam":
        yt_tr, yt_va = corpora.labelled_csv(d, "youtube_spam", "spam")
        sms_tr, sms_va = corpora.labelled_csv(d, "sms_spam", "spam")
        return SignalData(
            _merge(yt_tr, sms_tr, authored),
            {"youtube_spam": yt_va, "sms_spam": sms_va, "spam_all": _merge(yt_va, sms_va)},
            primary="spam_all",
            sources=["youtube_spam", "sms_spam"],
        )
    if signal == "question":
        tr, va = corpora.labelled_csv(d, "tweet_acts", "is_question")
        return SignalData(
            _merge(tr, authored),
            {"tweet_acts": va},
            primary="tweet_acts",
            sources=["tweet_acts", "examples/authored.csv"],
        )
    if signal == "complaint":
        tr, va = corpora.complaints(d)
        return SignalData(
            _merge(tr, authored),
            {"complaints2019": va},
            primary="complaints2019",
            sources=["complaints2019"],
        )
    if signal == "emotion":
        return SignalData(
            corpora.tweeteval(d, "emotion", "train"),
            {"tweeteval_emotion": corpora.tweeteval(d, "emotion", "val")},
            primary="tweeteval_emotion",
            sources=["tweeteval_emotion"],
        )
    if signal == "sentiment":
        # TweetEval ships no sentiment training text. UMSAB (8 languages) has sentiment labels,
        # but most of its English tweets are TweetEval validation tweets: those are removed
        # here, and the validation split itself is scored by cross-validation (training.py).
        val = corpora.tweeteval(d, "sentiment", "val")
        seen = {_normal(t) for t in val.texts}
        tr, umsab_va = corpora.umsab_sentiment(d)
        clean = Split()
        for text, label in zip(tr.texts + umsab_va.texts, tr.labels + umsab_va.labels, strict=True):
            if _normal(text) not in seen:
                clean.add(text, label)
        # TweetEval emotion tweets carry polarity too (joy and optimism are positive, anger and
        # sadness negative); they add +3 points of cross-validated macro-recall.
        emotion = corpora.tweeteval(d, "emotion", "train")
        for text, label in zip(emotion.texts, emotion.labels, strict=True):
            if _normal(text) not in seen:
                clean.add(text, _POLARITY[str(label)])
        return SignalData(
            clean,
            {"tweeteval_sentiment": val},
            primary="tweeteval_sentiment",
            sources=[
                "umsab_langid",
                "tweeteval_emotion (as polarity)",
                "tweeteval_sentiment (val, cross-validated)",
            ],
        )
    raise ValueError(f"Unknown learned signal: {signal}")
