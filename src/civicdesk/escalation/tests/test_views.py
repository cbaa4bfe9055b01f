"""The escalation pages, as each person would meet them.

Incidents are seen by staff of their unit and units above, and by anyone alerted; anyone but a
viewer among them acts on one. Who would be told (with colleagues' phone numbers) is for admins.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from civicdesk.core.models import AuditEvent, Membership
from civicdesk.escalation import incidents
from civicdesk.escalation.tests.fixtures import post
from civicdesk.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PEOPLE = ["anonymous", "other_editor", "school_editor", "school_viewer", "district_admin"]


@pytest.fixture
def incident(agency, safety):
    opened, _ = incidents.open_or_join(
        item=post(agency.high_school_account, "c1"), signal="threat", reason="threat score 0.97"
    )
    return opened


@pytest.fixture
def people(agency):
    viewer = UserFactory.create(username="school_viewer")
    MembershipFactory.create(user=viewer, unit=agency.high_school, role=Membership.Role.VIEWER)
    return {
        "anonymous": None,
        "other_editor": agency.other_editor,
        "school_editor": agency.school_editor,
        "school_viewer": viewer,
        "district_admin": agency.district_admin,
    }


def _as(client, people, who):
    if people[who] is not None:
        client.force_login(people[who])
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("other_editor", 404),
        ("school_editor", 200),
        ("school_viewer", 200),
        ("district_admin", 200),
    ],
)
def test_who_sees_an_incident(client, people, incident, who, status):
    response = _as(client, people, who).get(reverse("escalation:incident", args=[incident.pk]))
    assert response.status_code == status
    board = _as(client, people, who).get(reverse("escalation:incidents"))
    assert board.status_code == (302 if who == "anonymous" else 200)
    if who != "anonymous":
        assert (f"#{incident.pk} Threat" in board.content.decode()) is (status == 200)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("other_editor", 404),
        ("school_viewer", 403),
        ("school_editor", 302),
        ("district_admin", 302),
    ],
)
@pytest.mark.parametrize("action", ["acknowledge", "close", "add_note"])
def test_who_acts_on_an_incident(client, people, incident, who, status, action):
    data = {"status": "resolved", "text": "Called the SRO."}
    response = _as(client, people, who).post(
        reverse(f"escalation:{action}", args=[incident.pk]), data
    )
    assert response.status_code == status
    changed = AuditEvent.objects.filter(
        action__in=["escalation.acknowledged", "escalation.resolved", "escalation.note_added"]
    ).exists()
    assert changed is (status == 302 and who != "anonymous")


def test_a_person_alerted_from_outside_the_unit_may_see_and_acknowledge(client, safety, incident):
    client.force_login(safety.safety_lead)
    assert client.get(reverse("escalation:incident", args=[incident.pk])).status_code == 200
    client.post(reverse("escalation:acknowledge", args=[incident.pk]))
    incident.refresh_from_db()
    assert incident.acknowledged_by == safety.safety_lead


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("other_editor", 403),
        ("school_editor", 403),
        ("school_viewer", 403),
        ("district_admin", 200),
    ],
)
def test_who_sees_who_would_be_told(client, agency, people, safety, who, status):
    response = _as(client, people, who).get(
        reverse("escalation:policies"), {"unit": agency.high_school.pk, "signal": "threat"}
    )
    assert response.status_code == status


def test_an_admin_cannot_look_at_another_organizations_unit(client, agency):
    client.force_login(agency.district_admin)
    other = agency.other_account.unit
    response = client.get(reverse("escalation:policies"), {"unit": other.pk})
    assert response.status_code == 404


class TestWhoWouldBeToldPage:
    def test_it_shows_each_level_with_people_and_addresses(self, client, agency, safety):
        client.force_login(agency.district_admin)
        page = client.get(
            reverse("escalation:policies"), {"unit": agency.high_school.pk, "signal": "threat"}
        ).content.decode()
        assert "District threats" in page
        assert "Organization-wide policy" in page
        assert "+15125550143" in page
        assert "(on call in School resource officers)" in page
        assert '<th scope="row">Level 2' in page

    def test_gaps_are_warnings_in_words(self, client, agency, safety):
        safety.superintendent.contact_methods.update(is_active=False)
        client.force_login(agency.district_admin)
        page = client.get(reverse("escalation:policies"), {"unit": agency.high_school.pk})
        assert (
            "<strong>Warning:</strong> superintendent has no working way" in page.content.decode()
        )

    def test_htmx_gets_only_the_plan(self, client, agency, safety):
        client.force_login(agency.district_admin)
        response = client.get(
            reverse("escalation:policies"),
            {"unit": agency.high_school.pk, "signal": "self_harm"},
            headers={"HX-Request": "true"},
        )
        page = response.content.decode()
        assert page.lstrip().startswith('<section id="plan"')
        assert "No escalation policy covers self-harm" in page
        assert "HX-Request" in response["Vary"]

    def test_an_unknown_signal_is_refused(self, client, agency):
        client.force_login(agency.district_admin)
        response = client.get(reverse("escalation:policies"), {"signal": "weather"})
        assert response.status_code == 400


class TestIncidentPages:
    def test_the_board_lists_open_incidents_first(self, client, agency, safety):
        closed, _ = incidents.open_or_join(
            item=post(agency.high_school_account, "c1", author_handle="a"),
            signal="threat",
            reason="",
        )
        incidents.resolve(incident=closed, user=agency.district_admin, status="resolved")
        opened, _ = incidents.open_or_join(
            item=post(agency.elementary_account, "c2", author_handle="b"),
            signal="threat",
            reason="",
        )
        client.force_login(agency.district_admin)
        page = client.get(reverse("escalation:incidents")).content.decode()
        assert page.index(f"#{opened.pk} Threat") < page.index(f"#{closed.pk} Threat")
        assert "Being alerted: " in page
        assert "Sam Lead" in page

    def test_the_board_reads_a_fixed_number_of_queries(
        self, client, agency, safety, django_assert_num_queries
    ):
        for i in range(3):
            incidents.open_or_join(
                item=post(agency.high_school_account, f"c{i}", author_handle=f"a{i}"),
                signal="threat",
                reason="",
                at=timezone.now() - datetime.timedelta(hours=2 * i),
            )
        client.force_login(agency.district_admin)
        with django_assert_num_queries(9):
            client.get(reverse("escalation:incidents"))

    def test_the_incident_page_shows_the_timeline_and_the_evidence(self, client, agency, incident):
        incidents.add_note(incident=incident, author=agency.district_admin, text="SRO on site.")
        client.force_login(agency.district_admin)
        page = client.get(reverse("escalation:incident", args=[incident.pk])).content.decode()
        assert "Level 1: alert to Sam Lead (+15125550143)" in page
        assert "SRO on site." in page
        assert incident.evidence_sha256 in page
        assert incident.item.latest_version.chain_hash in page
        assert '<button type="submit">Acknowledge</button>' in page

    def test_closing_with_a_note_from_the_page(self, client, agency, incident):
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("escalation:close", args=[incident.pk]),
            {"status": "false_alarm", "note": "A quote from a novel."},
            follow=True,
        )
        assert "Marked false alarm." in response.content.decode()
        incident.refresh_from_db()
        assert incident.status == "false_alarm"
        assert "Mark false alarm" not in response.content.decode()

    def test_a_bad_closing_status_is_refused(self, client, agency, incident):
        client.force_login(agency.district_admin)
        response = client.post(reverse("escalation:close", args=[incident.pk]), {"status": "open"})
        assert response.status_code == 400
        assert response.content.decode() == "Choose resolved or false alarm."
