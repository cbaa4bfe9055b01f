from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.archive.ingest import store_records
from civicdesk.inbox import intake, pages, views
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import record

pytestmark = pytest.mark.django_db

INBOX = reverse("inbox:index")


def arrive(account: Account, prefix: str, n: int) -> None:
    with transaction.atomic():
        report = store_records(
            account=account,
            records=[record(f"{prefix}{i}", f"{prefix} comment {i}") for i in range(n)],
            source="poll",
        )
        intake.receive(items=report.created_items)


def crowd(account: Account, prefix: str, n: int) -> None:
    """``n`` entries in few priorities and few distinct times, so the order leans on its ties."""
    arrive(account, prefix, n)
    noon = timezone.now().replace(microsecond=0) - timedelta(days=1)
    for i, entry in enumerate(Entry.objects.filter(item__platform_id__startswith=prefix)):
        Entry.objects.filter(pk=entry.pk).update(
            priority=(4, 6)[i % 2], received_at=noon - timedelta(minutes=i % 3)
        )


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="(\?[^"]*)" rel="{rel}"', html)
    return INBOX + unescape(found.group(1)) if found else None


def listed(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="entry-(\d+)"', html)]


def walk(client: Client, url: str, rel: str) -> tuple[list[list[int]], list[str]]:
    """The entries of each page from ``url`` on, following ``rel`` links, and the links."""
    shown, urls = [], [url]
    while True:
        html = client.get(url).content.decode()
        shown.append(listed(html))
        next_url = link(html, rel)
        if next_url is None:
            return shown, urls
        url = next_url
        urls.append(url)


def in_order(*conditions: Q, newest_first: bool = False, **filters: object) -> list[int]:
    entries = Entry.objects.filter(*conditions, **filters)
    if newest_first:
        return list(entries.order_by("-received_at", "-pk").values_list("pk", flat=True))
    return list(entries.order_by("priority", "-received_at", "-pk").values_list("pk", flat=True))


class TestOlderAndNewer:
    def test_older_pages_list_every_open_entry_once_in_order_despite_ties(self, client, agency):
        crowd(agency.district_account, "c", 130)
        client.force_login(agency.district_admin)

        pages_shown, _ = walk(client, INBOX, "next")

        assert [len(p) for p in pages_shown] == [50, 50, 30]
        assert sum(pages_shown, []) == in_order()

    def test_newer_pages_from_the_oldest_come_back_the_same_way(self, client, agency):
        crowd(agency.district_account, "c", 130)
        client.force_login(agency.district_admin)
        oldest = link(client.get(INBOX).content.decode(), "last")
        assert oldest is not None

        pages_shown, _ = walk(client, oldest, "prev")

        assert [len(p) for p in pages_shown] == [50, 50, 30]
        assert sum(reversed(pages_shown), []) == in_order()

    def test_newer_from_the_second_page_is_the_first_page(self, client, agency):
        crowd(agency.district_account, "c", 70)
        client.force_login(agency.district_admin)
        first = client.get(INBOX).content.decode()
        second = client.get(link(first, "next")).content.decode()

        back = client.get(link(second, "prev")).content.decode()

        assert listed(back) == listed(first)
        assert link(back, "prev") is None and link(back, "first") is None

    def test_newest_first_pages_through_every_status_in_time_order(self, client, agency):
        crowd(agency.district_account, "c", 80)
        Entry.objects.filter(pk__in=in_order()[:20]).update(status=Entry.Status.DONE)
        client.force_login(agency.district_admin)

        pages_shown, urls = walk(client, f"{INBOX}?sort=newest&status=", "next")

        assert sum(pages_shown, []) == in_order(newest_first=True)
        assert all("sort=newest" in url and "status=&" in url for url in urls[1:])

    def test_filters_stay_on_every_page(self, client, agency):
        crowd(agency.district_account, "c", 60)
        crowd(agency.high_school_account, "h", 60)
        client.force_login(agency.district_admin)
        url = f"{INBOX}?account={agency.high_school_account.pk}&urgency=6"

        pages_shown, urls = walk(client, url, "next")

        assert sum(pages_shown, []) == in_order(account=agency.high_school_account, priority=6)
        assert all(f"account={agency.high_school_account.pk}" in u for u in urls)
        assert all("urgency=6" in u and "status=open" in u for u in urls[1:])

    def test_a_date_range_pages_within_each_priority(self, client, agency):
        crowd(agency.district_account, "c", 90)
        day = (timezone.localtime(timezone.now()) - timedelta(days=3)).date().isoformat()
        Entry.objects.filter(pk__in=in_order()[::3]).update(
            received_at=timezone.now() - timedelta(days=9)
        )
        client.force_login(agency.district_admin)

        pages_shown, _ = walk(client, f"{INBOX}?received_from={day}", "next")

        expected = in_order(received_at__gte=timezone.now() - timedelta(days=3))
        assert sum(pages_shown, []) == expected and len(expected) == 60


class TestWhoSeesWhat:
    def test_a_school_editor_sees_only_their_school_on_every_page(
        self, client, agency, transportation
    ):
        crowd(agency.district_account, "d", 70)
        crowd(agency.high_school_account, "h", 70)
        queue, _ = transportation
        routed = Entry.objects.filter(item__platform_id__in=["d1", "d2", "h3"])
        routed.update(queue=queue)
        client.force_login(agency.school_editor)

        pages_shown, _ = walk(client, INBOX, "next")

        assert sum(pages_shown, []) == in_order(unit=agency.high_school)

    def test_entries_routed_to_a_queue_are_listed_once_for_someone_who_sees_both(
        self, client, agency, transportation
    ):
        queue, dispatcher = transportation
        crowd(agency.district_account, "d", 60)
        crowd(agency.high_school_account, "h", 5)
        Entry.objects.filter(item__platform_id__in=["d1", "d2", "h1"]).update(queue=queue)
        client.force_login(agency.district_admin)
        every_page, _ = walk(client, INBOX, "next")
        client.force_login(dispatcher)
        dispatcher_pages, _ = walk(client, INBOX, "next")

        assert sum(every_page, []) == in_order()
        assert len(sum(every_page, [])) == 65
        assert sum(dispatcher_pages, []) == in_order(queue=queue)


class TestBrokenLinks:
    @pytest.mark.parametrize(
        "query",
        [
            "older=yesterday",
            "older=4.1700000000000000",
            "newer=4.-5.3",
            "older=4.999999999999999999.1",
            "older=4.1700000000000000.1&sort=newest",
            "newer=" + "9" * 400,
        ],
    )
    def test_a_broken_page_link_shows_the_first_page_and_says_so(self, client, agency, query):
        crowd(agency.district_account, "c", 60)
        client.force_login(agency.district_admin)

        response = client.get(f"{INBOX}?{query}")

        body = response.content.decode()
        assert response.status_code == 200
        assert "That page link no longer fits this view" in body
        assert listed(body) == in_order(newest_first="sort=newest" in query)[:50]

    def test_an_old_numbered_page_link_shows_the_first_page(self, client, agency):
        crowd(agency.district_account, "c", 60)
        client.force_login(agency.district_admin)

        assert listed(client.get(INBOX, {"page": 2}).content.decode()) == in_order()[:50]

    def test_a_link_past_entries_closed_since_shows_the_oldest_page(self, client, agency):
        crowd(agency.district_account, "c", 60)
        client.force_login(agency.district_admin)
        older = link(client.get(INBOX).content.decode(), "next")
        Entry.objects.filter(pk__in=in_order()[40:]).update(status=Entry.Status.DONE)

        assert listed(client.get(older).content.decode()) == in_order(
            status__in=["new", "in_progress"]
        )

    def test_a_link_before_entries_closed_since_shows_the_first_page(self, client, agency):
        crowd(agency.district_account, "c", 60)
        client.force_login(agency.district_admin)
        first = client.get(INBOX).content.decode()
        newer = link(client.get(link(first, "next")).content.decode(), "prev")
        Entry.objects.filter(pk__in=in_order()[:50]).update(status=Entry.Status.DONE)

        assert listed(client.get(newer).content.decode()) == in_order(
            status__in=["new", "in_progress"]
        )


class TestCounts:
    def test_a_long_backlog_is_counted_up_to_the_cap(self, client, agency, monkeypatch):
        crowd(agency.district_account, "c", 30)
        monkeypatch.setattr(views, "COUNT_CAP", 20)
        monkeypatch.setattr(pages, "COUNT_CAP", 20)
        client.force_login(agency.district_admin)

        body = client.get(INBOX).content.decode()

        assert "20+ items" in body and "30 items" not in body
        assert "15 items" in client.get(INBOX, {"urgency": 4}).content.decode()
