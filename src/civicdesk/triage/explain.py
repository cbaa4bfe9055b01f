"""Say which words drove a learned score, in terms a comms officer can check against the text."""

from __future__ import annotations

import unicodedata

import numpy as np

from civicdesk.triage.features import NgramFeaturizer, SparseRows

# Character n-grams are fragments ("ill", " ki") that mean nothing to a reader; reasons quote
# whole words and word pairs only.
MAX_PHRASES = 3

# Words that carry grammar, or too little meaning to convince anyone (English and Spanish). A phrase made only of these, of
# punctuation or of "@user" points at nothing a reader can check, so it is never a reason.
FUNCTION_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each either even ever every few for from further get gets
    got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just
    let's like me more most much must mustn't my myself no nor not now of off on once one only or
    other ought our ours ourselves out over own really same shan't she she'd she'll she's should
    shouldn't so some such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those though through to too under until up
    upon us very was wasn't we we'd we'll we're we've were weren't what what's when when's where
    where's whether which while who who's whom why why's will with won't would wouldn't yet you
    you'd you'll you're you've your yours yourself yourselves u ur im dont cant wont thats
    el la los las un una unos unas y o pero si no que de del al en con por para sin sobre es son
    fue ser estar esta este esto eso ese esa lo le les se me te nos mi tu su sus mis tus ya muy
    mas como cuando donde quien porque pues ni ha han he hay
    user rt amp
    nothing something anything everything thing things know think say said says go goes going
    gonna gotta wanna get make made want way well back still yeah yes lol oh ok okay
    """.split()
)


def _is_word_like(token: str) -> bool:
    """A token a reader would call a word: letters or digits, a hashtag, or an emoji."""
    token = token.lstrip("#")
    return any(ch.isalnum() or unicodedata.category(ch) == "So" for ch in token)


def _is_content(token: str) -> bool:
    # A handle names who was addressed, not what was said.
    return (
        _is_word_like(token)
        and not token.startswith("@")
        and token.lower().strip("#") not in FUNCTION_WORDS
    )


def meaningful_part(term: str) -> str:
    """The term without function words at its edges ("tomorrow and" reads "tomorrow"); empty
    when nothing is left, or when it holds punctuation a reader would not quote."""
    tokens = term.split()
    if not all(_is_word_like(t) for t in tokens):
        return ""
    while tokens and not _is_content(tokens[0]):
        tokens.pop(0)
    while tokens and not _is_content(tokens[-1]):
        tokens.pop()
    return " ".join(tokens)


def driving_phrases(
    featurizer: NgramFeaturizer,
    rows: SparseRows,
    row: int,
    weights: np.ndarray,
    *,
    top: int = MAX_PHRASES,
) -> list[str]:
    """Word n-grams of one row with the largest positive contribution to a weight column."""
    indices, values = rows.row(row)
    is_word = indices < len(featurizer.word_terms)
    indices, values = indices[is_word], values[is_word]
    if len(indices) == 0:
        return []
    contributions = values * weights[indices]
    order = np.argsort(-contributions, kind="stable")[: top * 4]
    phrases: list[str] = []
    for j in order:
        if contributions[j] <= 0:
            break
        term = meaningful_part(featurizer.term(int(indices[j])))
        if term and not any(term in p or p in term for p in phrases):
            phrases.append(term)
        if len(phrases) == top:
            break
    return phrases


def model_reason(phrases: list[str]) -> str:
    if not phrases:
        return "the message as a whole (no single word stands out)"
    return "wording: " + ", ".join(f"\u201c{p}\u201d" for p in phrases)
