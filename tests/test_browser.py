"""A person signs in, opens the inbox, opens an item and marks it done, in a real browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from playwright.sync_api import Page, expect, sync_playwright

from civicdesk.archive.ingest import store_records
from civicdesk.core.models import AuditEvent
from civicdesk.inbox import intake
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import record

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
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        expect(page.get_by_text("3 items")).to_be_visible()
        expect(page.get_by_text("<script>alert('x')</script> thanks")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "inbox.png"), full_page=True)

        # Keyboard: j selects the first row, e marks it done in place.
        page.keyboard.press("j")
        expect(page.locator("[data-entry]").first).to_have_class("entry status-new selected")
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

    dialogs = browse(steps)

    assert dialogs == [], "no script from user content ever ran"
    assert Entry.objects.filter(status=Entry.Status.DONE).count() == 2
    assert (
        AuditEvent.objects.filter(
            action="inbox.status_changed", actor_name="district_admin"
        ).count()
        == 2
    )
