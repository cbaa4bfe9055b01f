from __future__ import annotations

import datetime
import hashlib

import pytest
from django.utils import timezone

from civicdesk.core.models import AuditEvent
from civicdesk.escalation import evidence, incidents, notifications
from civicdesk.escalation.models import (
    ContactMethod,
    EscalationPolicy,
    Incident,
    IncidentNote,
    Notification,
    PolicyLevel,
)
from civicdesk.escalation.tests.fixtures import post
from civicdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 1, 13, 8, 30, tzinfo=datetime.UTC)


def escalate(item, at=NOW, signal="threat"):
    return incidents.open_or_join(item=item, signal=signal, reason="threat score 0.97", at=at)


class TestOpenOrJoin:
    def test_it_opens_an_incident_and_queues_one_alert_per_contact_method(self, agency, safety):
        item = post(agency.high_school_account, "c1")
        incident, created = escalate(item)
        assert created is True
        assert (incident.status, incident.current_level, incident.policy) == (
            "open",
            1,
            safety.policy,
        )
        assert incident.next_level_at == NOW + datetime.timedelta(minutes=5)
        keys = set(Notification.objects.values_list("idempotency_key", "status"))
        methods = [m.pk for m in safety.safety_lead.contact_methods.all()]
        officer = safety.officer_b.contact_methods.get().pk  # on call on the 13th
        assert keys == {
            (f"{incident.pk}:{safety.level_1.pk}:{pk}", "pending") for pk in [*methods, officer]
        }
        assert AuditEvent.objects.filter(action="escalation.incident_opened").count() == 1

    def test_the_evidence_freezes_every_archived_version_with_its_hashes(self, agency, safety):
        top = post(agency.high_school_account, "p1", "Game tonight!")
        item = post(agency.high_school_account, "c1", parent_platform_id="p1")
        post(agency.high_school_account, "c1", "edited to hide it", parent_platform_id="p1")
        incident, _ = escalate(item)
        frozen = incident.evidence
        versions = frozen["item"]["versions"]
        assert [v["seq"] for v in versions] == [1, 2]
        stored = list(item.versions.order_by("seq"))
        assert [v["chain_hash"] for v in versions] == [v.chain_hash for v in stored]
        for version in versions:
            assert (
                hashlib.sha256(version["content"].encode()).hexdigest() == version["content_sha256"]
            )
        assert [t["platform_id"] for t in frozen["thread"]] == [top.platform_id]
        assert incident.evidence_sha256 == evidence.sha256_of(frozen)
        incident.refresh_from_db()
        assert evidence.sha256_of(incident.evidence) == incident.evidence_sha256

    def test_a_second_item_in_the_same_thread_within_the_hour_joins(self, agency, safety):
        post(agency.high_school_account, "p1", "Game tonight!", author_handle="coach")
        first = post(agency.high_school_account, "c1", parent_platform_id="p1", author_handle="a")
        second = post(agency.high_school_account, "c2", parent_platform_id="p1", author_handle="b")
        incident, _ = escalate(first)
        joined, created = escalate(second, at=NOW + datetime.timedelta(minutes=59))
        assert (joined, created) == (incident, False)
        assert [j.item for j in incident.joined_items.all()] == [second]
        assert Notification.objects.count() == 3

    def test_a_second_item_by_the_same_author_within_the_hour_joins(self, agency, safety):
        first = post(agency.high_school_account, "c1", author_handle="Angry1")
        second = post(agency.high_school_account, "c9", author_handle="angry1")
        incident, _ = escalate(first)
        assert escalate(second, at=NOW + datetime.timedelta(minutes=30)) == (incident, False)

    def test_after_the_hour_a_new_incident_opens(self, agency, safety):
        first = post(agency.high_school_account, "c1", author_handle="angry1")
        second = post(agency.high_school_account, "c2", author_handle="angry1")
        incident, _ = escalate(first)
        later, created = escalate(second, at=NOW + datetime.timedelta(minutes=61))
        assert created is True
        assert later != incident

    def test_the_same_author_on_another_account_is_another_incident(self, agency, safety):
        first = post(agency.high_school_account, "c1", author_handle="angry1")
        second = post(agency.elementary_account, "c1", author_handle="angry1")
        escalate(first)
        assert escalate(second)[1] is True

    def test_escalating_one_item_twice_makes_one_incident(self, agency, safety):
        item = post(agency.high_school_account, "c1")
        incident, _ = escalate(item)
        again = escalate(item, at=NOW + datetime.timedelta(seconds=1))
        assert again == (incident, False)
        assert Incident.objects.count() == 1
        assert Notification.objects.count() == 3

    def test_without_a_policy_the_incident_still_opens_and_says_nobody_was_told(self, agency):
        item = post(agency.high_school_account, "c1")
        incident, created = escalate(item)
        assert created is True
        assert incident.next_level_at is None
        assert "nobody has been told" in IncidentNote.objects.get(incident=incident).text

    def test_a_person_with_no_way_to_be_reached_is_recorded_not_skipped(self, agency, safety):
        safety.superintendent.contact_methods.update(is_active=False)
        safety.level_1.people.add(safety.superintendent)
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        missed = Notification.objects.get(recipient=safety.superintendent)
        assert (missed.status, missed.error) == ("gave_up", "No working contact method.")
        assert "superintendent has no working way to be reached" in incident.notes.get().text


class TestAdvanceDue:
    def test_the_next_level_is_told_once_when_the_timer_runs_out(self, agency, safety):
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        assert incidents.advance_due(NOW + datetime.timedelta(minutes=4)) == 0
        later = NOW + datetime.timedelta(minutes=5)
        assert incidents.advance_due(later) == 1
        assert incidents.advance_due(later) == 0
        incident.refresh_from_db()
        assert (incident.current_level, incident.next_level_at) == (
            2,
            later + datetime.timedelta(minutes=10),
        )
        told = Notification.objects.filter(level=2).values_list("recipient__username", flat=True)
        assert list(told) == ["superintendent"]

    def test_the_last_level_hands_over_to_the_next_policy(self, agency, safety):
        police = EscalationPolicy.objects.create(
            organization=agency.district, unit=agency.elementary, signal="threat", name="Police"
        )
        chief = UserFactory.create(username="chief")
        ContactMethod.objects.create(user=chief, kind="email", address="chief@police.example")
        PolicyLevel.objects.create(policy=police, position=1, wait_minutes=15).people.add(chief)
        safety.level_2.then_policy = police
        safety.level_2.save()
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        incidents.advance_due(NOW + datetime.timedelta(minutes=5))
        incidents.advance_due(NOW + datetime.timedelta(minutes=15))
        incident.refresh_from_db()
        assert (incident.policy, incident.current_level) == (police, 1)
        assert Notification.objects.filter(recipient=chief).count() == 1
        assert AuditEvent.objects.filter(action="escalation.handed_over").count() == 1

    def test_when_every_level_is_told_a_note_says_so_and_the_timer_stops(self, agency, safety):
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        incidents.advance_due(NOW + datetime.timedelta(minutes=5))
        assert incidents.advance_due(NOW + datetime.timedelta(minutes=15)) == 1
        incident.refresh_from_db()
        assert incident.next_level_at is None
        assert "nobody has acknowledged" in incident.notes.last().text

    def test_an_acknowledgement_stops_the_next_level(self, agency, safety):
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        incidents.acknowledge(
            incident=incident,
            user=safety.safety_lead,
            channel="web",
            at=NOW + datetime.timedelta(minutes=2),
        )
        assert incidents.advance_due(NOW + datetime.timedelta(hours=1)) == 0
        incident.refresh_from_db()
        assert (incident.status, incident.acknowledged_by, incident.owner) == (
            "acknowledged",
            safety.safety_lead,
            safety.safety_lead,
        )
        assert not Notification.objects.filter(level=2).exists()


class TestClosing:
    def test_acknowledging_twice_records_both_and_keeps_the_first(self, agency, safety):
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        incidents.acknowledge(incident=incident, user=safety.safety_lead, channel="web", at=NOW)
        incidents.acknowledge(incident=incident, user=safety.officer_a, channel="sms_reply", at=NOW)
        incident.refresh_from_db()
        assert incident.acknowledged_by == safety.safety_lead
        assert incident.acknowledgements.count() == 2

    def test_a_false_alarm_closes_it_with_a_note(self, agency, safety):
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        incidents.resolve(
            incident=incident, user=safety.safety_lead, status="false_alarm", note="Song lyrics."
        )
        assert (incident.status, incident.next_level_at) == ("false_alarm", None)
        assert incident.notes.get(author=safety.safety_lead).text == "Song lyrics."
        assert AuditEvent.objects.filter(action="escalation.false_alarm").exists()
        with pytest.raises(ValueError, match="already closed"):
            incidents.resolve(incident=incident, user=safety.safety_lead, status="resolved")

    def test_a_closed_incidents_alerts_are_no_longer_due(self, agency, safety):
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        assert notifications.due(NOW).count() == 3
        assert notifications.due(NOW - datetime.timedelta(seconds=1)).count() == 0
        incidents.resolve(incident=incident, user=safety.safety_lead, status="resolved")
        assert notifications.due(NOW).count() == 0

    def test_an_empty_note_is_refused(self, agency, safety):
        incident, _ = escalate(post(agency.high_school_account, "c1"))
        with pytest.raises(ValueError, match="Write something in the note"):
            incidents.add_note(incident=incident, author=safety.safety_lead, text="  ")


@pytest.mark.parametrize(
    ("signal", "quiet"), [("threat", False), ("self_harm", False), ("routing", True)]
)
def test_quiet_hours_never_hold_back_a_threat_or_self_harm(signal, quiet):
    assert notifications.quiet_hours_apply(signal) is quiet


def test_timezone_aware_now_is_the_default(agency, safety):
    incident, _ = incidents.open_or_join(
        item=post(agency.high_school_account, "c1"), signal="threat", reason="rule"
    )
    assert abs(incident.opened_at - timezone.now()) < datetime.timedelta(minutes=1)
