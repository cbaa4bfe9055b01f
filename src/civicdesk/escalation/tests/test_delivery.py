"""From a threat arriving to the alert in someone's mailbox, and the link that acknowledges it."""

from __future__ import annotations

import datetime
import re
import socket

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from civicdesk.archive.ingest import store_records
from civicdesk.core.scheduler import run_due_work
from civicdesk.escalation import delivery
from civicdesk.escalation.links import acknowledge_token
from civicdesk.escalation.models import Acknowledgement, Incident, Notification
from civicdesk.inbox import intake
from civicdesk.routing.models import RoutingRule
from civicdesk.testing.factories import record
from civicdesk.triage import assess

EXPLICIT = "i will kill the principal tomorrow with my gun"
ACK_LINK = re.compile(r"http://desk\.test(/escalation/ack/[^/\s]+/)")


@pytest.fixture(autouse=True)
def public_url(settings):
    settings.PUBLIC_URL = "http://desk.test"


@pytest.fixture
def arrive(django_capture_on_commit_callbacks):
    """Ingest, then triage with the shipped models, as a worker does; what they owe runs."""

    def arrive(account, platform_id: str, text: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                report = store_records(
                    account=account, records=[record(platform_id, text)], source="poll"
                )
                intake.receive(items=report.created_items)
            versions = [v for i in report.created_items if (v := i.latest_version_id) is not None]
            assess.assess_versions(version_ids=versions)

    return arrive


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestFromThreatToAlert:
    def test_an_explicit_threat_mails_level_one_and_the_link_acknowledges_once(
        self, client, agency, safety, smtp_server, run_tasks_now, arrive
    ):
        arrive(agency.high_school_account, "c1", EXPLICIT)
        incident = Incident.objects.get()
        assert (incident.signal, incident.status, incident.current_level) == ("threat", "open", 1)
        [mail] = smtp_server.to("lead@riverbend.example")
        assert "Threat" in str(mail["Subject"]) and "Riverbend High" in str(mail["Subject"])
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert EXPLICIT in body
        # No SMS provider is set up: those alerts fail, the e-mail still went, and it says so.
        sms = Notification.objects.filter(channel="sms")
        assert sms and all(n.status == Notification.Status.GAVE_UP for n in sms)
        assert "SMS is not set up" in sms.first().error
        assert incident.notes.filter(text__contains="SMS is not set up").exists()

        link = ACK_LINK.search(body).group(1)
        page = client.get(link)
        assert page.status_code == 200 and b"Acknowledge: I am on it" in page.content
        incident.refresh_from_db()
        assert incident.status == "open"  # opening the link (a mail scanner) acknowledges nothing
        assert client.post(link).status_code == 200
        incident.refresh_from_db()
        assert incident.status == "acknowledged" and incident.acknowledged_by == safety.safety_lead
        assert incident.next_level_at is None
        [ack] = Acknowledgement.objects.all()
        assert ack.channel == "link" and ack.via.recipient == safety.safety_lead
        again = client.post(link)
        assert again.status_code == 410 and b"already used" in again.content
        assert Acknowledgement.objects.count() == 1

    def test_a_possible_threat_opens_no_incident(
        self, agency, safety, smtp_server, run_tasks_now, arrive
    ):
        arrive(agency.high_school_account, "c2", "bring a helmet to the game friday, just saying")
        assert not Incident.objects.exists()
        assert smtp_server.messages == []

    def test_a_routing_rule_that_escalates_opens_an_incident_for_it(
        self, agency, safety, smtp_server, run_tasks_now, arrive
    ):
        RoutingRule.objects.create(
            organization=agency.district, name="Lockdown", keywords=["lockdown"], escalate=True
        )
        arrive(agency.high_school_account, "c3", "is the school on lockdown right now?")
        incident = Incident.objects.get()
        assert incident.signal == "routing"


class TestSending:
    def test_a_mail_server_that_is_down_is_retried_with_the_same_message_id(
        self, agency, safety, smtp_server, run_tasks_now, arrive, settings
    ):
        up = settings.EMAIL_PORT
        settings.EMAIL_PORT = closed_port()
        arrive(agency.high_school_account, "c1", EXPLICIT)
        mail = Notification.objects.get(channel="email", recipient=safety.safety_lead)
        assert mail.status == Notification.Status.FAILED and mail.attempts == 1
        retry_at = mail.next_attempt_at
        assert retry_at is not None and retry_at > timezone.now()
        settings.EMAIL_PORT = up
        with time_machine.travel(retry_at + datetime.timedelta(seconds=1)):
            run_due_work(seal=False, sweep=False, partition=False)
        mail.refresh_from_db()
        assert mail.status == Notification.Status.SENT and mail.attempts == 2
        [received] = smtp_server.to("lead@riverbend.example")
        assert str(received["Message-ID"]).strip()

    def test_two_schedulers_never_hand_out_one_alert_twice(self, agency, safety, settings):
        from civicdesk.escalation.incidents import open_or_join
        from civicdesk.escalation.tests.fixtures import post

        incident, _ = open_or_join(
            item=post(agency.high_school_account, "c9"), signal="threat", reason="explicit words"
        )
        first = delivery.claim_due()
        assert first and set(first) == set(
            incident.notifications.filter(status="pending").values_list("pk", flat=True)
        )
        assert delivery.claim_due() == []  # claimed: not due again until the lease runs out
        later = timezone.now() + delivery.sending_lease() + datetime.timedelta(seconds=1)
        assert sorted(delivery.claim_due(now=later)) == sorted(first)

    def test_the_next_level_is_told_when_nobody_acknowledges(
        self, agency, safety, smtp_server, run_tasks_now, arrive
    ):
        arrive(agency.high_school_account, "c1", EXPLICIT)
        incident = Incident.objects.get()
        assert not smtp_server.to("sup@riverbend.example")
        assert incident.next_level_at is not None
        with time_machine.travel(incident.next_level_at + datetime.timedelta(seconds=1)):
            counts = run_due_work(seal=False, sweep=False, partition=False)
        assert counts["levels told"] == 1
        incident.refresh_from_db()
        assert incident.current_level == 2
        assert len(smtp_server.to("sup@riverbend.example")) == 1


class TestLinks:
    def test_a_forged_link_is_refused_in_words(self, client, db):
        page = client.get(reverse("escalation:acknowledge_link", args=["1:abc:forged"]))
        assert page.status_code == 400 and b"not valid" in page.content

    def test_an_expired_link_says_so(self, client, agency, safety):
        from civicdesk.escalation.incidents import open_or_join
        from civicdesk.escalation.tests.fixtures import post

        with time_machine.travel("2026-03-02 09:00 +0000", tick=False) as traveller:
            incident, _ = open_or_join(
                item=post(agency.high_school_account, "c8"),
                signal="threat",
                reason="explicit words",
            )
            token = acknowledge_token(incident.notifications.first().pk)
            traveller.shift(datetime.timedelta(days=2))
            page = client.post(reverse("escalation:acknowledge_link", args=[token]))
        assert page.status_code == 410 and b"expired" in page.content
        incident.refresh_from_db()
        assert incident.status == "open"


class TestInboxRow:
    def test_an_escalated_item_shows_its_incident_in_the_inbox(
        self, client, agency, safety, smtp_server, run_tasks_now, arrive
    ):
        arrive(agency.high_school_account, "c1", EXPLICIT)
        arrive(agency.high_school_account, "c2", "what time is the game on friday?")
        incident = Incident.objects.get()
        client.force_login(agency.district_admin)
        page = client.get(reverse("inbox:index")).content.decode()
        assert f'href="/escalation/incidents/{incident.pk}/">Incident {incident.pk}: Open' in page
        assert page.count("signal-incident") == 1


class TestCustody:
    def test_every_look_at_an_incident_is_on_its_chain_of_custody(
        self, client, agency, safety, smtp_server, run_tasks_now, arrive
    ):
        from civicdesk.core.models import AuditEvent

        arrive(agency.high_school_account, "c1", EXPLICIT)
        incident = Incident.objects.get()
        client.force_login(agency.district_admin)
        url = reverse("escalation:incident", args=[incident.pk])
        client.get(url)
        page = client.get(url).content.decode()
        views = AuditEvent.objects.filter(
            action="escalation.incident_viewed", target_id=str(incident.pk)
        )
        assert views.count() == 2 and {v.actor_name for v in views} == {"district_admin"}
        assert "Chain of custody" in page and page.count("escalation.incident_viewed") == 2
        assert "escalation.incident_opened" in page


class TestEvidencePdf:
    def test_the_pdf_holds_the_evidence_and_its_hash_is_on_the_record(
        self, client, agency, safety, smtp_server, run_tasks_now, arrive
    ):
        import hashlib
        import io

        from pypdf import PdfReader

        from civicdesk.archive.models import ItemVersion
        from civicdesk.core.models import AuditEvent

        arrive(agency.high_school_account, "c1", EXPLICIT)
        incident = Incident.objects.get()
        client.force_login(agency.district_admin)
        response = client.get(reverse("escalation:evidence_pdf", args=[incident.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert f"incident-{incident.pk}-evidence.pdf" in response["Content-Disposition"]
        content = response.content
        text = " ".join(
            (page.extract_text() or "") for page in PdfReader(io.BytesIO(content)).pages
        )
        flat = "".join(text.split())
        version = ItemVersion.objects.get(item=incident.item)
        assert incident.evidence_sha256 in flat
        assert version.chain_hash in flat and version.content_sha256 in flat
        assert "Chainofcustody" in flat
        [export] = AuditEvent.objects.filter(action="escalation.evidence_exported")
        assert export.data["sha256"] == hashlib.sha256(content).hexdigest()
        assert export.actor_name == "district_admin"

    def test_someone_outside_the_unit_gets_no_pdf(
        self, client, agency, safety, arrive, run_tasks_now
    ):
        arrive(agency.high_school_account, "c1", EXPLICIT)
        incident = Incident.objects.get()
        from civicdesk.testing.factories import UserFactory

        client.force_login(UserFactory.create(username="outsider"))
        assert client.get(reverse("escalation:evidence_pdf", args=[incident.pk])).status_code == 404


class TestMyContacts:
    def test_a_person_adds_a_phone_and_a_bad_number_is_refused_in_words(self, client, agency):
        from civicdesk.core.models import AuditEvent
        from civicdesk.escalation.models import ContactMethod

        client.force_login(agency.school_editor)
        url = reverse("escalation:contacts")
        assert b"no alert can reach you" in client.get(url).content
        bad = client.post(url, {"kind": "sms", "address": "512-555-0143"})
        assert bad.status_code == 400 and b"+15125550143" in bad.content
        assert not ContactMethod.objects.exists()
        good = client.post(url, {"kind": "sms", "address": "+1 512 555 0143"})
        assert good.status_code == 302
        method = ContactMethod.objects.get(user=agency.school_editor)
        assert method.address == "+15125550143" and method.is_active
        assert AuditEvent.objects.filter(action="escalation.contact_added").count() == 1
        again = client.post(url, {"kind": "sms", "address": "+15125550143"})
        assert again.status_code == 400 and b"already" in again.content

    def test_only_the_owner_turns_a_contact_off(self, client, agency):
        from civicdesk.escalation.models import ContactMethod

        method = ContactMethod.objects.create(
            user=agency.school_editor, kind="email", address="ed@riverbend.example"
        )
        switch = reverse("escalation:switch_contact", args=[method.pk])
        client.force_login(agency.district_admin)
        assert client.post(switch, {"active": "0"}).status_code == 404
        client.force_login(agency.school_editor)
        assert client.post(switch, {"active": "0"}).status_code == 302
        method.refresh_from_db()
        assert not method.is_active
        client.logout()
        assert client.post(switch, {"active": "1"}).status_code == 302  # to the sign-in page
        method.refresh_from_db()
        assert not method.is_active
