from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import Item
from civicdesk.core.models import AuditEvent
from civicdesk.inbox import intake
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import record

pytestmark = pytest.mark.django_db


def arrive(account, *records):
    with transaction.atomic():
        report = store_records(account=account, records=list(records), source="poll")
        intake.receive(items=report.created_items)
    return [Item.objects.get(account=account, platform_id=r.platform_id) for r in records]


@pytest.fixture
def traffic(agency):
    arrive(agency.district_account, record("d1", "When is kindergarten registration?"))
    arrive(agency.high_school_account, record("h1", "Homecoming tickets sold out?"))
    arrive(agency.elementary_account, record("e1", "Pajama day is the best"))
    arrive(agency.other_account, record("o1", "Hillside question"))
    return agency


class TestInboxAccess:
    def test_signing_in_is_required(self, client):
        response = client.get(reverse("inbox:index"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_district_admin_sees_every_school_below_the_district(self, client, traffic):
        client.force_login(traffic.district_admin)
        page = client.get(reverse("inbox:index")).content.decode()
        assert "kindergarten registration" in page
        assert "Homecoming tickets" in page
        assert "Pajama day" in page
        assert "Hillside question" not in page

    def test_a_school_editor_sees_only_their_school(self, client, traffic):
        client.force_login(traffic.school_editor)
        page = client.get(reverse("inbox:index")).content.decode()
        assert "Homecoming tickets" in page
        assert "kindergarten registration" not in page

    def test_an_item_of_another_district_is_not_found(self, client, traffic):
        client.force_login(traffic.other_editor)
        riverbend_item = Item.objects.get(platform_id="h1")
        assert client.get(reverse("inbox:item", args=[riverbend_item.pk])).status_code == 404
        response = client.post(
            reverse("inbox:set_status", args=[riverbend_item.pk]), {"status": "done"}
        )
        assert response.status_code == 404
        assert Entry.objects.get(item=riverbend_item).status == Entry.Status.NEW


class TestInboxFilters:
    def test_filters_by_unit_include_the_units_below(self, client, traffic):
        client.force_login(traffic.district_admin)
        page = client.get(
            reverse("inbox:index"), {"unit": traffic.high_school.pk, "status": "open"}
        ).content.decode()
        assert "Homecoming tickets" in page
        assert "kindergarten registration" not in page

    def test_filters_by_account_platform_status_and_date(self, client, traffic):
        client.force_login(traffic.district_admin)
        done = Entry.objects.get(item__platform_id="e1")
        done.status = Entry.Status.DONE
        done.save()
        url = reverse("inbox:index")
        assert "Pajama day" not in client.get(url).content.decode(), (
            "done items leave the open view"
        )
        assert "Pajama day" in client.get(url, {"status": "done"}).content.decode()
        by_account = client.get(
            url, {"account": traffic.district_account.pk, "status": ""}
        ).content.decode()
        assert "kindergarten" in by_account and "Homecoming" not in by_account
        assert "0 items" in client.get(url, {"platform": "x", "status": ""}).content.decode()
        assert "3 items" in client.get(url, {"platform": "facebook", "status": ""}).content.decode()
        tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
        assert (
            "0 items" in client.get(url, {"received_from": tomorrow, "status": ""}).content.decode()
        )

    def test_a_filter_naming_someone_elses_unit_is_an_error_not_a_leak(self, client, traffic):
        client.force_login(traffic.school_editor)
        page = client.get(
            reverse("inbox:index"), {"unit": traffic.district_office.pk}
        ).content.decode()
        assert "Select a valid choice" in page
        assert "kindergarten" not in page

    def test_htmx_filter_requests_get_only_the_list(self, client, traffic):
        client.force_login(traffic.district_admin)
        response = client.get(
            reverse("inbox:index"), headers={"HX-Request": "true", "HX-Target": "entry-list"}
        )
        body = response.content.decode()
        assert "<html" not in body
        assert "kindergarten registration" in body
        assert "HX-Request" in response["Vary"]

    def test_the_list_costs_the_same_queries_however_long_it_is(
        self, client, agency, django_assert_max_num_queries
    ):
        arrive(agency.district_account, *[record(f"c{n}", f"comment {n}") for n in range(60)])
        client.force_login(agency.district_admin)
        # 16: the page, its counts and filters, and two for the incidents of the listed items.
        with django_assert_max_num_queries(16):
            response = client.get(reverse("inbox:index"))
        assert response.content.decode().count('class="entry status-') == 50

    def test_page_two_keeps_the_open_view_and_its_pager_links_keep_the_filters(
        self, client, agency
    ):
        arrive(agency.district_account, *[record(f"c{n}", f"open comment {n}") for n in range(55)])
        arrive(agency.district_account, *[record(f"x{n}", f"closed matter {n}") for n in range(5)])
        Entry.objects.filter(item__platform_id__startswith="x").update(status=Entry.Status.DONE)
        client.force_login(agency.district_admin)
        url = reverse("inbox:index")

        first = client.get(url).content.decode()
        assert "55 items" in first
        older = re.search(
            r'href="\?(status=open&amp;sort=urgent&amp;older=[0-9.]+)" rel="next"', first
        )
        assert older, "the Older link carries the filters in force"
        assert 'rel="prev"' not in first

        second = client.get(f"{url}?{unescape(older.group(1))}").content.decode()
        assert "55 items" in second
        assert second.count('class="entry status-') == 5
        assert "closed matter" not in second
        assert re.search(
            r'href="\?status=open&amp;sort=urgent&amp;newer=[0-9.]+" rel="prev"', second
        )
        assert 'rel="next"' not in second

    def test_an_explicit_choice_wins_over_the_defaults_on_every_page(self, client, agency):
        arrive(agency.district_account, *[record(f"c{n}", f"open comment {n}") for n in range(55)])
        arrive(agency.district_account, *[record(f"x{n}", f"closed matter {n}") for n in range(5)])
        Entry.objects.filter(item__platform_id__startswith="x").update(status=Entry.Status.DONE)
        client.force_login(agency.district_admin)
        url = reverse("inbox:index")
        any_status = client.get(url, {"status": ""}).content.decode()
        assert "60 items" in any_status
        older = re.search(
            r'href="\?(status=&amp;sort=urgent&amp;older=[0-9.]+)" rel="next"', any_status
        )
        assert older
        second = client.get(f"{url}?{unescape(older.group(1))}").content.decode()
        assert second.count('class="entry status-') == 10
        assert 'href="?status=&amp;sort=urgent&amp;newer=' in second
        done = client.get(url, {"status": "done", "sort": "newest"}).content.decode()
        assert "5 items" in done and "open comment" not in done


class TestStatusChanges:
    def test_marking_done_is_recorded_in_the_audit_log(self, client, traffic):
        client.force_login(traffic.district_admin)
        item = Item.objects.get(platform_id="d1")
        response = client.post(
            reverse("inbox:set_status", args=[item.pk]), {"status": "done"}, REMOTE_ADDR="10.1.2.3"
        )
        assert response.status_code == 302
        entry = Entry.objects.get(item=item)
        assert entry.status == Entry.Status.DONE
        event = AuditEvent.objects.get(action="inbox.status_changed")
        assert (event.actor_name, event.data, event.ip_address) == (
            "district_admin",
            {"from": "new", "to": "done"},
            "10.1.2.3",
        )
        assert event.target_id == str(item.pk)

    def test_taking_an_item_in_progress_assigns_it(self, client, traffic):
        client.force_login(traffic.school_editor)
        item = Item.objects.get(platform_id="h1")
        client.post(reverse("inbox:set_status", args=[item.pk]), {"status": "in_progress"})
        assert Entry.objects.get(item=item).assignee == traffic.school_editor

    def test_htmx_gets_the_updated_row_back(self, client, traffic):
        client.force_login(traffic.district_admin)
        item = Item.objects.get(platform_id="d1")
        response = client.post(
            reverse("inbox:set_status", args=[item.pk]),
            {"status": "done"},
            headers={"HX-Request": "true"},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert body.lstrip().startswith("<li") and "status-done" in body

    def test_an_unknown_status_is_refused(self, client, traffic):
        client.force_login(traffic.district_admin)
        item = Item.objects.get(platform_id="d1")
        response = client.post(reverse("inbox:set_status", args=[item.pk]), {"status": "deleted"})
        assert response.status_code == 400
        assert AuditEvent.objects.count() == 0


class TestItemDetail:
    def test_shows_the_thread_and_every_archived_version(self, client, agency):
        from civicdesk.connectors.base import ItemKind

        post = record("p1", "Snow day tomorrow", kind=ItemKind.POST, author_handle="RiverbendUSD")
        arrive(agency.district_account, post)
        comment = record("c1", "Buses too?", parent_platform_id="p1")
        arrive(agency.district_account, comment)
        from dataclasses import replace

        arrive(agency.district_account, replace(comment, text="Buses too? Route 14?"))
        client.force_login(agency.district_admin)
        page = client.get(
            reverse("inbox:item", args=[Item.objects.get(platform_id="c1").pk])
        ).content.decode()
        assert "Snow day tomorrow" in page
        assert page.count("<td>1</td>") == 1 and "<td>2</td>" in page
        assert "Buses too? Route 14?" in page


HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "Evil \u202egnp.exe\u202c \u200b\u200d\ufeff",
    "emoji 👩🏽‍🚒 Z̸̢̛a̵l̴g̷o",
    "y" * 100_000,
]


class TestHostileText:
    def test_hostile_text_is_escaped_in_the_inbox_and_the_item(self, client, agency):
        items = arrive(
            agency.district_account,
            *[
                record(f"h{n}", text, author_name=text[:200], author_handle="<b>x</b>")
                for n, text in enumerate(HOSTILE)
            ],
        )
        client.force_login(agency.district_admin)
        pages = [client.get(reverse("inbox:index")).content.decode()]
        pages += [client.get(reverse("inbox:item", args=[i.pk])).content.decode() for i in items]
        for page in pages:
            assert "<script>alert" not in page
            assert "<img src=x" not in page
            assert "<b>x</b>" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in pages[1]
        assert "<bdi>Evil \u202egnp.exe\u202c" in pages[3], (
            "bidi overrides stay isolated inside <bdi>"
        )
        assert "y" * 100_000 in pages[5], "the item page shows the whole text"
        assert "y" * 1000 not in pages[0], "the list shows a preview"


class TestItemSignals:
    def test_a_possible_threat_reads_possible_on_the_item_page(self, client, agency):
        from civicdesk.triage.models import Assessment

        arrive(agency.district_account, record("c9", "see you at the game, bring a helmet"))
        item = Item.objects.get(platform_id="c9")
        Assessment.objects.filter(item=item).delete()
        Assessment.objects.create(
            item=item,
            version=item.versions.get(),
            model_version="test",
            status=Assessment.Status.SCORED,
            signals={"threat": {"score": 0.62, "positive": True, "threshold": 0.1, "reason": "r"}},
        )
        client.force_login(agency.district_admin)
        page = client.get(reverse("inbox:item", args=[item.pk])).content.decode()
        assert 'class="signal signal-possible-threat">Possible threat</span>' in page
        assert ">Threat</span>" not in page
