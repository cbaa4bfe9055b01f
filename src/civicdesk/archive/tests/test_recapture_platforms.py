"""Recapture through each platform's batched lookup: quiet edits and deletions become versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import respx

from civicdesk.archive.models import Item, RecaptureSpend, Recheck
from civicdesk.archive.recapture import recapture
from civicdesk.archive.tests.test_refresh import CONTRACT, answer, archived_from, texts
from civicdesk.archive.verify import verify_archive

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Lookup:
    platform: str
    url: str  # regex of the batched lookup call
    unchanged: str
    edited: str
    gone: tuple[int, str]
    id_param: str
    # A second call the lookup makes when the item is found (Bluesky: the thread's root).
    then: str = ""


LOOKUPS = [
    Lookup(
        "x",
        r"https://api\.x\.com/2/tweets\?.*",
        "lookup_unchanged",
        "lookup_edited_first_version",
        (200, "lookup_gone"),
        "ids",
    ),
    Lookup(
        "mastodon",
        r"https://mastodon\.social/api/v1/statuses\?.*",
        "statuses_edited_before",
        "statuses_edited_after",
        (200, "empty"),
        "id[]",
    ),
    Lookup(
        "bluesky",
        r"https://bsky\.social/xrpc/app\.bsky\.feed\.getPosts.*",
        "get_posts_edited_before",
        "get_posts_edited_after",
        (200, "get_posts_none"),
        "uris",
        then="get_posts_own",
    ),
    Lookup(
        "youtube",
        r"https://www\.googleapis\.com/youtube/v3/commentThreads\?.*",
        "threads_by_id_edited_before",
        "threads_by_id_edited_after",
        (200, "empty"),
        "id",
    ),
    Lookup(
        "facebook",
        r"https://graph\.facebook\.com/v23\.0/\?.*",
        "ids_comments_edited_before",
        "ids_comments_edited_after",
        (400, "ids_do_not_exist"),
        "ids",
    ),
]


def edited_item(lookup: Lookup) -> Item:
    case = CONTRACT[lookup.platform]
    archived_from(case, case.edits[0])
    return Item.objects.get(platform_id=case.edited_id)


def check(lookup: Lookup, item: Item, *answers: httpx.Response) -> respx.Route:
    with respx.mock() as router:
        route = router.get(url__regex=lookup.url).mock(side_effect=list(answers))
        report = recapture(account_id=item.account_id, item_ids=[item.pk])
    assert report.error == ""
    assert report.checked == 1
    return route


@pytest.mark.parametrize("lookup", LOOKUPS, ids=[lookup.platform for lookup in LOOKUPS])
class TestRecapturingThroughALookup:
    def test_an_unchanged_item_writes_nothing_and_moves_on_in_its_schedule(self, lookup):
        item = edited_item(lookup)
        answers = [answer(lookup.platform, lookup.unchanged)]
        if lookup.then:
            answers.append(answer(lookup.platform, lookup.then))
        route = check(lookup, item, *answers)
        assert item.versions.count() == 1, "the lookup reads the item as polling did"
        assert (
            route.calls[0]
            .request.url.params[lookup.id_param]
            .startswith(item.platform_id.split(".")[0])
        )
        assert RecaptureSpend.objects.get(account=item.account).items_checked == 1

    def test_an_edit_becomes_a_new_version(self, lookup):
        item = edited_item(lookup)
        answers = [answer(lookup.platform, lookup.edited)]
        if lookup.platform == "x":  # the edit's newest id is read in a second call
            answers.append(answer("x", "post_edited_after"))
        if lookup.then:
            answers.append(answer(lookup.platform, lookup.then))
        check(lookup, item, *answers)
        versions = texts(item)
        assert len(versions) == 2
        assert versions[0][0] != versions[1][0]
        assert versions[1][1] is False
        assert verify_archive().problems == []

    def test_an_item_missing_from_the_answer_becomes_a_deletion_that_keeps_its_words(self, lookup):
        item = edited_item(lookup)
        status, name = lookup.gone
        check(lookup, item, answer(lookup.platform, name, status))
        item.refresh_from_db()
        words = texts(item)[0][0]
        assert texts(item) == [(words, False), (words, True)]
        assert item.is_deleted is True
        assert Recheck.objects.filter(item=item).exists() is False, "a gone item is not asked again"


def test_a_rate_limited_lookup_hands_the_items_back_until_the_platform_allows_again() -> None:
    lookup = LOOKUPS[0]
    item = edited_item(lookup)
    with respx.mock() as router:
        router.get(url__regex=lookup.url).mock(
            return_value=httpx.Response(429, headers={"Retry-After": "900"})
        )
        report = recapture(account_id=item.account_id, item_ids=[item.pk])
    assert "rate-limited" in report.error
    assert (report.checked, report.deferred) == (0, 1)
    recheck = Recheck.objects.get(item=item)
    assert recheck.claim == "" and recheck.due_at > item.first_seen_at + timedelta(minutes=14)
    assert item.versions.count() == 1
