"""Build the demo agency's replay files from the public datasets beside the repository.

Run once by a developer (the output is committed): python scripts/build_demo_data.py
Reads ../shared/data (or CIVICDESK_TRAINING_DATA); writes src/civicdesk/demo/data/*.jsonl.
Fixed seed: same output each run. No text from the public reaches the demo twice: each comment
is used once across every account, and near-identical 311 requests and replies are left out.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import json
import os
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from school_traffic import COMMENTS, CONCERNING, DISTRICT_POSTS, SCHOOL_POSTS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CIVICDESK_TRAINING_DATA") or ROOT.parent / "shared" / "data")
OUT = ROOT / "src" / "civicdesk" / "demo" / "data"
HISTORY = 3 * 24 * 3600  # seconds of history delivered at once
LIVE = 2 * 3600  # seconds of traffic that trickles in after the demo starts
rng = random.Random(20261125)

PHONE = re.compile(r"\(?\b\d{3}\)?[-.\s]?\d{3}[-.\s]?\d{4}\b")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
LINK_OR_HANDLE = re.compile(r"https?://\S+|@\w+")
NOT_A_WORD = re.compile(r"[\W_]+")
# Normalized texts already in the demo; see fresh().
used: set[str] = set()


def redact(text: str) -> str:
    return EMAIL.sub("[e-mail removed]", PHONE.sub("[phone removed]", text))


def normalized(text: str) -> str:
    """The words of a text, lower-cased, without links, handles, punctuation or emoji."""
    return NOT_A_WORD.sub(" ", LINK_OR_HANDLE.sub(" ", html.unescape(text).lower())).strip()


def fresh(text: str) -> bool:
    """True the first time a text with words in it is seen; then it counts as used.

    Public datasets repeat themselves (a 311 request filed three times, the same reply from
    several people), and a text that came back in the demo would sit next to itself in the inbox.
    """
    key = normalized(text)
    if not key or key in used:
        return False
    used.add(key)
    return True


def offset() -> int:
    """About one item in five arrives live, after the demo starts."""
    return rng.randint(0, LIVE) if rng.random() < 0.2 else rng.randint(-HISTORY, -60)


def after(start: int, within: int) -> int:
    if rng.random() < 0.2:
        return rng.randint(max(start, 0), max(start, 0) + LIVE)
    return rng.randint(start, max(start + 60, min(-60, start + within)))


def write(name: str, events: list[dict]) -> None:
    events.sort(key=lambda e: (e["offset_s"], e["id"]))
    with (OUT / f"{name}.jsonl").open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    print(f"{name}: {len(events)} events")


def person(name: str) -> dict:
    handle = re.sub(r"[^a-z0-9]", "", name.lower())[:15] or "resident"
    return {
        "handle": handle,
        "name": name,
        "id": "u-" + hashlib.sha256(handle.encode()).hexdigest()[:10],
    }


def posts_for(account: str, handle: str, texts: list[str], kind_prefix: str) -> list[dict]:
    events = []
    for i, text in enumerate(texts):
        events.append(
            {
                "id": f"{kind_prefix}-{i + 1}",
                "kind": "post",
                "text": text,
                "offset_s": rng.randint(-HISTORY, LIVE // 2)
                if i % 4 == 0
                else rng.randint(-HISTORY, -3600),
                "author": {"handle": handle, "name": account, "id": f"acct-{handle}"},
                "lang": "en",
            }
        )
    return events


def deal(deck: list[tuple[str, str]], count: int) -> list[tuple[str, str]]:
    """The next ``count`` comments of the deck not used yet anywhere in the demo."""
    dealt: list[tuple[str, str]] = []
    while deck and len(dealt) < count:
        text, name = deck.pop(0)
        if fresh(text):
            dealt.append((text, name))
    return dealt


def comments_on(posts: list[dict], pool: list[tuple[str, str]], prefix: str) -> list[dict]:
    events = []
    for i, (text, name) in enumerate(pool):
        post = rng.choice(posts)
        start = post["offset_s"] + 60
        at = after(start, 36 * 3600)
        lang = "es" if any(ch in text for ch in "¿ñá") else "en"
        events.append(
            {
                "id": f"{prefix}-{i + 1}",
                "kind": "comment",
                "text": text,
                "offset_s": at,
                "author": person(name),
                "parent_id": post["id"],
                "lang": lang,
            }
        )
    return events


def edits_and_deletions(comments: list[dict]) -> list[dict]:
    events = []
    for comment in rng.sample(comments, k=max(1, len(comments) // 25)):
        events.append(
            {
                **comment,
                "op": "edit",
                "text": comment["text"] + " (edited: never mind, found it)",
                "created_offset_s": comment["offset_s"],
                "offset_s": comment["offset_s"] + 600,
            }
        )
    for comment in rng.sample(comments, k=max(1, len(comments) // 40)):
        events.append({"op": "delete", "id": comment["id"], "offset_s": comment["offset_s"] + 1800})
    return events


def school_district() -> None:
    district = posts_for(
        "Riverbend Unified School District", "RiverbendUSD", DISTRICT_POSTS, "rusd-fb"
    )
    deck = list(COMMENTS)
    comments = comments_on(district, deal(deck, 26) + deal(list(CONCERNING), 2), "rusd-fb-c")
    write("riverbend-usd-facebook", district + comments + edits_and_deletions(comments))
    x_posts = posts_for("Riverbend USD", "RiverbendUSD", DISTRICT_POSTS[:6], "rusd-x")
    x_replies = comments_on(x_posts, deal(deck, 10), "rusd-x-r")
    for reply in x_replies:
        reply["kind"] = "reply"
    write("riverbend-usd-x", x_posts + x_replies)
    for slug, texts in SCHOOL_POSTS.items():
        posts = posts_for(slug.replace("-", " ").title(), slug.replace("-", ""), texts, slug)
        comments = comments_on(posts, deal(deck, 5), f"{slug}-c")
        write(f"{slug}-facebook", posts + comments + edits_and_deletions(comments))


def police() -> None:
    rows = list(csv.DictReader(open(DATA / "nypd_tips_tweets" / "tweets.csv", encoding="utf-8")))
    texts = [html.unescape(r["text"]) for r in rows if r["is_retweet"] == "false"][:80]
    posts = posts_for("Riverbend Police Tips", "RiverbendPDTips", texts, "rpd-x")
    with gzip.open(DATA / "publicstuff_311" / "requests.csv.gz", "rt", encoding="utf-8") as f:
        requests = [
            r
            for r in csv.DictReader(f)
            if len(r["description"]) > 25 and "without a description" not in r["description"]
        ]
    wanted = {
        "Driver Complaint",
        "Noise Complaint",
        "Dangerous Condition",
        "Illegal Parking",
        "Street Light Out",
    }
    picked = [r for r in requests if r["category"] in wanted]
    rng.shuffle(picked)
    picked = [r for r in picked if fresh(redact(r["description"]))]
    mentions = []
    for i, r in enumerate(picked[:90]):
        mentions.append(
            {
                "id": f"rpd-m-{r['request_id']}",
                "kind": "mention" if i % 3 else "message",
                "text": redact(r["description"]).strip(),
                "offset_s": offset(),
                "author": {
                    "handle": f"resident{r['request_id']}",
                    "name": "",
                    "id": f"u-{r['request_id']}",
                },
                "lang": "en",
            }
        )
    write("riverbend-pd-x", posts + mentions)


def mayor() -> None:
    rows = list(csv.DictReader(open(DATA / "peduto_mayor_tweets" / "tweets.csv", encoding="utf-8")))
    own = [
        html.unescape(r["text"])
        for r in rows
        if r["is_retweet"] == "false" and not r["reply_to_screen_name"]
    ]
    posts = posts_for("Office of the Mayor", "MayorRiverbend", own[:60], "mayor-x")
    replies_by_origin: dict[str, list[dict]] = {}
    for r in csv.DictReader(open(DATA / "aoc_replies" / "replies.csv", encoding="utf-8")):
        if r["author_is_official"] == "false":
            replies_by_origin.setdefault(r["in_reply_to_origin_id"], []).append(r)
    replies = []
    for post, (_, group) in zip(posts, sorted(replies_by_origin.items()), strict=False):
        for r in [r for r in group if fresh(r["text"])][:6]:
            at = after(post["offset_s"] + 60, 8 * 3600)
            replies.append(
                {
                    "id": f"mayor-x-r-{r['tweet_id']}",
                    "kind": "reply",
                    "text": html.unescape(r["text"]),
                    "offset_s": at,
                    "parent_id": post["id"],
                    "author": {"handle": r["author"], "name": "", "id": r["author"]},
                    "lang": r["lang"] if r["lang"] != "und" else "",
                }
            )
    write("mayor-x", posts + replies + edits_and_deletions(replies))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    school_district()
    police()
    mayor()
