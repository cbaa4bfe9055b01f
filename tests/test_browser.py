"""A person signs in, opens the inbox, an item and the accounts page in a real browser; axe-core
checks every page visited against WCAG 2.1 AA."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect, sync_playwright

from civicdesk.archive.ingest import store_records
from civicdesk.core.models import AuditEvent
from civicdesk.inbox import intake
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import UserFactory, record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CIVICDESK_CHROMIUM", "/usr/bin/chromium")
# Without these, Chromium reaches out to the network at start; this machine has none.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


AXE = Axe()
# WCAG 2.1 A and AA, what ADA Title II asks of a public agency's pages.
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page: Page) -> None:
    """axe-core on the page as it stands: no WCAG 2.1 A or AA violation."""
    results = AXE.run(page, options=WCAG_21_AA)
    problems = [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]
    assert problems == [], f"{page.url}: {problems}"


def browse(steps: Callable[[Page], None]) -> list[str]:
    """Run ``steps`` in a fresh Chromium page; returns the messages of any dialogs that opened.

    The database is touched only before and after, never while Playwright's event loop runs on
    this thread (Django refuses queries from inside an event loop).
    """
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; run: apt-get install -y chromium")
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            steps(page)
        finally:
            browser.close()
    return dialogs


def test_sign_in_open_an_item_and_mark_it_done(live_server, agency, flushable_archive):
    with transaction.atomic():
        report = store_records(
            account=agency.district_account,
            records=[
                record(
                    "c1", "Is the bus route 14 running late today?", author_name="Dana Whitfield"
                ),
                record(
                    "c2",
                    "<script>alert('x')</script> thanks for the snow day notice",
                    author_name="Tom K",
                ),
                record(
                    "c3",
                    "¿A qué hora abre la escuela mañana?",
                    author_name="Rosa Jiménez",
                    language="es",
                ),
            ],
            source="poll",
        )
        intake.receive(items=report.created_items)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def steps(page: Page) -> None:
        page.goto(f"{live_server.url}/inbox/")
        page.get_by_label("Username").fill("district_admin")
        page.get_by_label("Password").fill("correct horse battery")
        assert_accessible(page)
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        expect(page.get_by_text("3 items")).to_be_visible()
        expect(page.get_by_text("<script>alert('x')</script> thanks")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "inbox.png"), full_page=True)
        assert_accessible(page)

        # Keyboard: j selects the first row, e marks it done in place.
        page.keyboard.press("j")
        expect(page.locator("[data-entry]").first).to_have_class(re.compile(r"\bselected\b"))
        page.keyboard.press("e")
        expect(page.locator("[data-entry].status-done")).to_have_count(1)

        page.get_by_role(
            "link", name="Dana Whitfield: Is the bus route 14 running late today?"
        ).click()
        expect(page.get_by_role("heading", name="Comment on Riverbend USD")).to_be_visible()
        expect(page.get_by_role("heading", name="Archived versions")).to_be_visible()
        page.get_by_role("button", name="Mark done").click()
        expect(page.get_by_text("Status: Done")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "item.png"), full_page=True)
        assert_accessible(page)

        # The accounts page: health, archived items and the re-check schedule.
        page.goto(f"{live_server.url}/accounts/")
        expect(page.get_by_role("columnheader", name="Re-checks")).to_be_visible()
        expect(page.get_by_text(re.compile(r"\b\d+ due\b")).first).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "accounts.png"), full_page=True)
        assert_accessible(page)

    dialogs = browse(steps)

    assert dialogs == [], "no script from user content ever ran"
    assert Entry.objects.filter(status=Entry.Status.DONE).count() == 2
    assert (
        AuditEvent.objects.filter(
            action="inbox.status_changed", actor_name="district_admin"
        ).count()
        == 2
    )


def test_triage_orders_the_inbox_explains_and_routes(live_server, agency, flushable_archive):
    """With the shipped model: a threat comes first with its reason; a rule routes a bus question."""
    from civicdesk.core.models import Unit
    from civicdesk.routing.models import RoutingRule
    from civicdesk.triage.assess import assess_versions

    transportation = Unit.objects.create(
        organization=agency.district,
        parent=agency.district_office,
        name="Transportation",
        kind=Unit.Kind.DEPARTMENT,
        takes_routed_items=True,
    )
    RoutingRule.objects.create(
        organization=agency.district,
        name="Bus questions",
        signals=["question"],
        keywords=["bus"],
        route_to=transportation,
        tag="buses",
        position=10,
    )
    with transaction.atomic():
        report = store_records(
            account=agency.district_account,
            records=[
                record("c1", "Congrats to the robotics team, great job!", author_name="Linda Park"),
                record(
                    "c2",
                    "What time does the bus for route 7 come tomorrow?",
                    author_name="Marisol Vega",
                ),
                record(
                    "c3",
                    "I'm bringing a gun to Lincoln Middle School on Friday. Everyone will pay.",
                    author_name="anon_rider",
                ),
            ],
            source="poll",
        )
        intake.receive(items=report.created_items)
    assess_versions(version_ids=[i.latest_version_id for i in report.created_items])

    def steps(page: Page) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("district_admin")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        rows = page.locator("[data-entry]")
        expect(rows.first).to_contain_text("bringing a gun")
        expect(rows.first.locator(".signal-threat")).to_be_visible()
        expect(rows.nth(1)).to_contain_text("bus for route 7")
        expect(rows.nth(1)).to_contain_text("→ Transportation")
        page.screenshot(path=str(SCREENSHOTS / "inbox-by-priority.png"), full_page=True)
        assert_accessible(page)

        rows.first.locator("a.text").click()
        expect(page.get_by_role("heading", name="Triage")).to_be_visible()
        expect(page.locator(".triage-panel")).to_contain_text("Threat")
        page.screenshot(path=str(SCREENSHOTS / "item-explanation.png"), full_page=True)
        assert_accessible(page)

        page.goto(f"{live_server.url}/routing/rules/")
        expect(page.get_by_text("Bus questions")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "routing-rules.png"), full_page=True)
        assert_accessible(page)
        page.goto(f"{live_server.url}/triage/thresholds/")
        expect(page.get_by_role("heading", name="Threat")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "thresholds.png"), full_page=True)
        assert_accessible(page)

    assert browse(steps) == []


def test_inbox_keys_act_only_on_a_chosen_row_and_leave_links_and_buttons_alone(
    live_server, agency, flushable_archive
):
    now = timezone.now()
    with transaction.atomic():
        report = store_records(
            account=agency.district_account,
            records=[
                record("k1", "Is school open tomorrow?", created_at=now - timedelta(minutes=1)),
                record("k2", "Where is the agenda posted?", created_at=now - timedelta(minutes=2)),
                record(
                    "k3", "Thanks for the snow day notice", created_at=now - timedelta(minutes=3)
                ),
            ],
            source="poll",
        )
        intake.receive(items=report.created_items)

    def steps(page: Page) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("district_admin")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        rows = page.locator("[data-entry]")
        expect(rows).to_have_count(3)
        assert_accessible(page)

        # e with nothing chosen says so and marks nothing done.
        page.keyboard.press("e")
        expect(page.get_by_role("status")).to_have_text("Select an item first: press j or k.")
        expect(page.locator("[data-entry].status-done")).to_have_count(0)
        assert_accessible(page)

        # The row chosen is chosen again after Back.
        page.keyboard.press("j")
        page.keyboard.press("j")
        expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Comment on Riverbend USD")).to_be_visible()
        expect(page.get_by_text("Where is the agenda posted?").first).to_be_visible()
        assert_accessible(page)
        page.go_back()
        expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
        expect(page.locator("[data-entry].selected")).to_have_count(1)

        # Enter on a button does what the button does, not open the chosen row.
        page.get_by_role("button", name="Apply filters").focus()
        # Wait for the new page whole: focus given to the old one would be lost with it.
        with page.expect_navigation(wait_until="load"):
            page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/inbox/\?.*status=open"))
        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        page.get_by_role("button", name="Sign out").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_label("Username")).to_be_visible()
        assert_accessible(page)

    assert browse(steps) == []
    assert Entry.objects.filter(status=Entry.Status.DONE).exists() is False


def test_error_pages_look_like_the_site_and_are_accessible(
    live_server, agency, flushable_archive, settings
):
    settings.ROOT_URLCONF = "civicdesk.core.tests.failing_urls"

    def steps(page: Page) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("school_editor")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()

        for path, heading, status in [
            ("/no-such-page/", "Page not found", 404),
            (f"/accounts/{agency.high_school_account.pk}/connect/", "You can't do that here", 403),
            ("/broken/", "Something went wrong", 500),
        ]:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == status
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            expect(page.get_by_role("link", name="Go to the inbox")).to_be_visible()
            assert_accessible(page)

    assert browse(steps) == []


def test_setup_pages_are_accessible(live_server, agency, flushable_archive):
    UserFactory.create(username="setup_admin", is_staff=True, is_superuser=True)
    # Django's own tabular inlines and user form carry unlabelled fields; those pages are left out.
    pages = [
        "/admin/",
        "/admin/core/organization/",
        "/admin/core/membership/",
        "/admin/accounts/account/",
        f"/admin/accounts/account/{agency.district_account.pk}/change/",
        "/admin/inbox/entry/",
        "/admin/archive/itemversion/",
        "/admin/archive/archiveseal/",
    ]

    def steps(page: Page) -> None:
        page.goto(f"{live_server.url}/admin/login/")
        page.get_by_label("Username").fill("setup_admin")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("#content")).to_be_visible()
            assert_accessible(page)

    assert browse(steps) == []


def test_older_and_newer_pages_and_a_broken_page_link(live_server, agency, flushable_archive):
    with transaction.atomic():
        report = store_records(
            account=agency.district_account,
            records=[record(f"p{i}", f"When is pickup for route {i}?") for i in range(60)],
            source="poll",
        )
        intake.receive(items=report.created_items)

    def steps(page: Page) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("district_admin")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("[data-entry]")).to_have_count(50)

        page.get_by_role("link", name="Older").first.click()
        expect(page.locator("[data-entry]")).to_have_count(10)
        expect(page.get_by_role("link", name="Newer").first).to_be_visible()
        assert_accessible(page)

        page.goto(f"{live_server.url}/inbox/?status=open&older=not-a-place")
        expect(page.get_by_text("That page link no longer fits this view")).to_be_visible()
        expect(page.locator("[data-entry]")).to_have_count(50)
        assert_accessible(page)

    assert browse(steps) == []
