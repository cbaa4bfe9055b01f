"""X archive import: a synthetic N-post ``tweets.js`` imported into a fresh database, twice.

    .venv/bin/python benchmarks/import_x_archive.py --posts 1000000 --database sqlite
    .venv/bin/python benchmarks/import_x_archive.py --posts 1000000 --database postgres

Writes ``data/tweets.js`` in the archive's real format (``window.YTD.tweets.part0 = [ … ]``,
two-space indent, string counts, every fifth post a reply, every seventh with a photo and its
alt text) into a temporary folder, imports it with the same domain function the ``civicdesk
import`` command calls (check pass, then store pass in one transaction), then imports it again
to measure the no-op path. Prints file size, time, posts/s and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fresh_database import peak_rss_mb, prepare

FIRST_ID = 1_100_000_000_000_000_000
STARTED = datetime(2015, 1, 1, tzinfo=UTC)


def tweet(n: int) -> dict[str, object]:
    tweet_id = str(FIRST_ID + n)
    created = STARTED + timedelta(minutes=5 * n)
    entry: dict[str, object] = {
        "edit_info": {
            "initial": {
                "editTweetIds": [tweet_id],
                "editableUntil": (created + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "editsRemaining": "5",
                "isEditEligible": True,
            }
        },
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        "display_text_range": ["0", "96"],
        "favorite_count": str(n % 97),
        "id_str": tweet_id,
        "truncated": False,
        "retweet_count": str(n % 13),
        "id": tweet_id,
        "created_at": created.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "favorited": False,
        "full_text": (
            f"Update {n}: buses on route {n % 40} run 20 minutes late &amp; breakfast is served "
            f"until 9:30. Thank you for your patience! 🚌"
        ),
        "lang": "en",
    }
    if n % 5 and n > 0:
        parent = n - 1 - (n % 3)
        entry["in_reply_to_status_id_str"] = str(FIRST_ID + max(parent, 0))
        entry["in_reply_to_status_id"] = str(FIRST_ID + max(parent, 0))
        entry["in_reply_to_screen_name"] = "RiverbendUSD"
        entry["in_reply_to_user_id_str"] = "1234567890"
    if n % 7 == 0:
        media = {
            "expanded_url": f"https://twitter.com/RiverbendUSD/status/{tweet_id}/photo/1",
            "indices": ["97", "120"],
            "url": "https://t.co/abcDEF1234",
            "media_url": f"http://pbs.twimg.com/media/G{n}.jpg",
            "id_str": str(FIRST_ID + n + 1),
            "id": str(FIRST_ID + n + 1),
            "media_url_https": f"https://pbs.twimg.com/media/G{n}.jpg",
            "type": "photo",
            "display_url": "pic.twitter.com/abcDEF1234",
        }
        entry["entities"]["media"] = [media]  # type: ignore[index]
        entry["extended_entities"] = {
            "media": [media | {"ext_alt_text": f"Route {n % 40} bus at the stop, photo {n}."}]
        }
    return {"tweet": entry}


def write_archive(path: Path, posts: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write("window.YTD.tweets.part0 = [ ")
        for n in range(posts):
            if n:
                out.write(", ")
            out.write(json.dumps(tweet(n), ensure_ascii=False, indent=2, separators=(",", " : ")))
        out.write(" ]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgres://postgres@127.0.0.1:5432/civicdesk_bench_import"
    )
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    workdir = prepare(
        database=args.database, postgres_url=args.postgres_url, prefix="civicdesk-bench-import-"
    )
    from django.db import connection

    from civicdesk.accounts.models import Account
    from civicdesk.archive.importers import Progress, import_archive
    from civicdesk.archive.models import Item, ItemVersion
    from civicdesk.core.models import Organization, Unit

    archive = workdir / "archive" / "data" / "tweets.js"
    started = time.perf_counter()
    write_archive(archive, args.posts)
    written = time.perf_counter() - started
    size = archive.stat().st_size
    org = Organization.objects.create(name="Bench USD", slug="bench")
    unit = Unit.objects.create(organization=org, name="District Office", kind=Unit.Kind.DISTRICT)
    account = Account.objects.create(
        organization=org, unit=unit, platform="x", handle="RiverbendUSD", display_name="Bench"
    )
    rss_before = peak_rss_mb()

    def show(progress: Progress) -> None:
        share = progress.bytes_done * 100 // max(progress.bytes_total, 1)
        print(
            f"  {progress.phase:>8} {share:3d}%  {progress.items:>9,} posts  "
            f"{progress.items_per_second:>8,.0f} posts/s  rss {peak_rss_mb():,.0f} MB",
            file=sys.stderr,
        )

    def run() -> tuple[float, object]:
        began = time.perf_counter()
        result = import_archive(
            account=account,
            archive_format="x",
            path=archive.parent.parent,
            progress=show,
            progress_every=15.0,
            batch_size=args.batch_size,
        )
        return time.perf_counter() - began, result

    first_s, first = run()
    items, versions = Item.objects.count(), ItemVersion.objects.count()
    second_s, second = run()

    print(f"database: {args.database} ({connection.vendor}), posts: {args.posts:,}")
    print(f"tweets.js: {size / 1e6:,.1f} MB (written in {written:.1f} s)")
    print(
        f"first import:  {first_s:7.1f} s   {args.posts / first_s:9,.0f} posts/s   "
        f"{first.new_items:,} new items, {first.new_versions:,} new versions"  # type: ignore[attr-defined]
    )
    print(
        f"second import: {second_s:7.1f} s   {args.posts / second_s:9,.0f} posts/s   "
        f"added {Item.objects.count() - items} items / {ItemVersion.objects.count() - versions} "
        f"versions (report: {second.new_items} new items, {second.new_versions} new versions)"  # type: ignore[attr-defined]
    )
    print(f"peak memory (RSS): {peak_rss_mb():,.0f} MB (after setup: {rss_before:,.0f} MB)")


if __name__ == "__main__":
    main()
