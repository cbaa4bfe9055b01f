"""A threat arrives, its alert is caught by the local mail sink, the link in it is followed and
the incident shows who acknowledged; axe-core checks every page on the way."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from playwright.sync_api import Page, expect

from civicdesk.archive.ingest import store_records
from civicdesk.demo.mailsink import KeepInFolder
from civicdesk.escalation.models import ContactMethod, EscalationPolicy, Incident, PolicyLevel
from civicdesk.inbox import intake
from civicdesk.testing.factories import record
from civicdesk.triage import assess

from .test_browser import SCREENSHOTS, assert_accessible, browse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

THREAT = "i will kill the principal tomorrow with my gun"


@pytest.fixture
def mail_sink(tmp_path, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(KeepInFolder(tmp_path / "mail"), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DEMO_MAIL_DIR = str(tmp_path / "mail")
    try:
        yield tmp_path / "mail"
    finally:
        controller.stop()


def test_a_threat_is_alerted_caught_and_acknowledged_from_the_mail(
    live_server, agency, flushable_archive, mail_sink, run_tasks_now, settings
):
    settings.PUBLIC_URL = live_server.url
    admin = agency.district_admin
    admin.email = "district.admin@riverbend.example"
    admin.save()
    ContactMethod.objects.create(user=admin, kind="email", address=admin.email)
    policy = EscalationPolicy.objects.create(
        organization=agency.district, signal="threat", name="District threats"
    )
    PolicyLevel.objects.create(policy=policy, position=1, wait_minutes=5).people.add(admin)
    with transaction.atomic():
        report = store_records(
            account=agency.high_school_account, records=[record("c1", THREAT)], source="poll"
        )
        intake.receive(items=report.created_items)
    assess.assess_versions(version_ids=[report.created_items[0].latest_version_id or 0])
    incident = Incident.objects.get()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def steps(page: Page) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("district_admin")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("link", name=f"Incident {incident.pk}: Open")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Caught mail").click()
        expect(page.get_by_role("heading", name="Caught mail")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Threat").first.click()
        expect(page.get_by_text(THREAT).first).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "alert-mail.png"), full_page=True)
        assert_accessible(page)

        page.locator("a[href*='/escalation/ack/']").first.click()
        expect(page.get_by_role("button", name="Acknowledge: I am on it")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Acknowledge: I am on it").click()
        expect(page.get_by_text("Nobody further will be alerted")).to_be_visible()
        assert_accessible(page)

        page.goto(f"{live_server.url}/escalation/incidents/")
        expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "incident-board.png"), full_page=True)
        assert_accessible(page)
        page.goto(f"{live_server.url}/escalation/incidents/{incident.pk}/")
        expect(page.get_by_text("Acknowledged").first).to_be_visible()
        expect(page.get_by_text("district_admin").first).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "incident.png"), full_page=True)
        assert_accessible(page)

        page.goto(f"{live_server.url}/escalation/policies/")
        assert_accessible(page)

        page.get_by_role("link", name="Alert contacts").click()
        expect(page.get_by_role("heading", name="My alert contacts")).to_be_visible()
        page.get_by_label("How").select_option("sms")
        page.get_by_label("Address").fill("512-555-0143")
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.get_by_text("+15125550143").first).to_be_visible()
        assert_accessible(page)

    assert browse(steps) == []
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == admin
