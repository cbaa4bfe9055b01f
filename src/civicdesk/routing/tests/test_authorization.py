"""Who may change an organization's routing rules and thresholds, and who may send items on.

Rules and thresholds apply to every unit of an organization, so only its organization admins
(admins of a top-level unit) and superusers change them; an admin of one school may not.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse

from civicdesk.archive.ingest import store_records
from civicdesk.core import access
from civicdesk.core.models import Membership, Unit
from civicdesk.inbox import intake
from civicdesk.inbox.models import Entry
from civicdesk.routing.models import RoutingRule
from civicdesk.testing.factories import MembershipFactory, UnitFactory, UserFactory, record
from civicdesk.triage.models import SignalThreshold

pytestmark = pytest.mark.django_db

PEOPLE = [
    "superuser",
    "organization_admin",
    "school_admin",
    "staff_member",
    "other_admin",
    "anonymous",
]


@pytest.fixture
def people(agency):
    school_admin = UserFactory.create(username="school_admin")
    MembershipFactory.create(user=school_admin, unit=agency.high_school, role=Membership.Role.ADMIN)
    other_admin = UserFactory.create(username="other_admin")
    MembershipFactory.create(
        user=other_admin,
        unit=Unit.objects.get(organization=agency.other_district, parent=None),
        role=Membership.Role.ADMIN,
    )
    return {
        "superuser": UserFactory.create(username="root", is_superuser=True),
        "organization_admin": agency.district_admin,
        "school_admin": school_admin,
        "staff_member": agency.school_editor,
        "other_admin": other_admin,
        "anonymous": None,
    }


def _as(client, people, who):
    if people[who] is not None:
        client.force_login(people[who])
    return client


ORGANIZATION_WIDE = {
    "superuser": 200,
    "organization_admin": 200,
    "school_admin": 403,
    "staff_member": 403,
    "other_admin": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("url", ["routing:rules", "triage:thresholds"])
def test_who_sees_the_organization_wide_pages(client, agency, people, who, url):
    response = _as(client, people, who).get(reverse(url), {"organization": agency.district.pk})
    assert response.status_code == ORGANIZATION_WIDE[who]
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", PEOPLE)
def test_who_saves_a_routing_rule(client, agency, people, who):
    response = _as(client, people, who).post(
        reverse("routing:rules"),
        {
            "organization": agency.district.pk,
            "name": "Spanish",
            "position": 1,
            "signal_match": "any",
            "language": "es",
            "tag": "español",
        },
    )
    allowed = ORGANIZATION_WIDE[who] == 200
    assert response.status_code == (302 if allowed else ORGANIZATION_WIDE[who])
    assert RoutingRule.objects.filter(organization=agency.district).exists() is allowed


@pytest.mark.parametrize("who", PEOPLE)
def test_who_edits_a_routing_rule(client, agency, people, who):
    rule = RoutingRule.objects.create(organization=agency.district, name="Old", tag="old")
    response = _as(client, people, who).post(
        reverse("routing:rules"),
        {
            "organization": agency.district.pk,
            "rule": rule.pk,
            "name": "New",
            "position": 1,
            "signal_match": "any",
            "tag": "new",
        },
    )
    allowed = ORGANIZATION_WIDE[who] == 200
    assert response.status_code == (302 if allowed else ORGANIZATION_WIDE[who])
    rule.refresh_from_db()
    assert rule.name == ("New" if allowed else "Old")


@pytest.mark.parametrize("who", PEOPLE)
def test_who_sets_a_threshold(client, agency, people, who):
    response = _as(client, people, who).post(
        reverse("triage:thresholds"),
        {"organization": agency.district.pk, "signal": "threat", "threshold": "0.4"},
    )
    allowed = ORGANIZATION_WIDE[who] == 200
    assert response.status_code == (302 if allowed else ORGANIZATION_WIDE[who])
    assert SignalThreshold.objects.filter(organization=agency.district).exists() is allowed


def test_an_admin_of_another_organization_changes_only_their_own(client, agency, people):
    client.force_login(people["other_admin"])
    page = client.get(reverse("routing:rules"))
    assert page.context["organization"] == agency.other_district
    client.post(
        reverse("triage:thresholds"),
        {"organization": agency.other_district.pk, "signal": "threat", "threshold": "0.4"},
    )
    assert SignalThreshold.objects.get().organization == agency.other_district


SEND_TO = {
    "superuser": 302,
    "organization_admin": 302,
    "school_admin": 302,
    "staff_member": 302,
    "other_admin": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PEOPLE)
def test_who_sends_an_item_to_another_queue(client, agency, people, who):
    """Anyone who sees the item may send it on; the queue need not be one they see."""
    queue = UnitFactory.create(
        organization=agency.district, name="Transportation", takes_routed_items=True
    )
    with transaction.atomic():
        report = store_records(
            account=agency.high_school_account, records=[record("c1")], source="poll"
        )
        intake.receive(items=report.created_items)
    entry = Entry.objects.get()
    url = reverse("routing:send_to", args=[entry.item_id])
    assert _as(client, people, who).get(url).status_code == (302 if who == "anonymous" else 405)
    response = client.post(url, {"queue": queue.pk})
    assert response.status_code == SEND_TO[who]
    entry.refresh_from_db()
    assert (entry.queue == queue) is (who not in ("other_admin", "anonymous"))


@pytest.mark.parametrize("who", PEOPLE)
def test_can_manage_organization(agency, people, who):
    person = people[who] or AnonymousUser()
    expected = ORGANIZATION_WIDE[who] == 200
    assert access.can_manage_organization(person, agency.district) is expected
    assert list(access.manageable_organizations(person)) == (
        [agency.other_district, agency.district]
        if who == "superuser"
        else [agency.district]
        if expected
        else [agency.other_district]
        if who == "other_admin"
        else []
    )


@pytest.mark.parametrize("who", PEOPLE[:-1])
def test_only_people_who_manage_routing_see_its_links(client, agency, people, who):
    page = _as(client, people, who).get(reverse("inbox:index")).content.decode()
    shown = who in ("superuser", "organization_admin", "other_admin")
    assert (f'href="{reverse("routing:rules")}"' in page) is shown
    assert (f'href="{reverse("triage:thresholds")}"' in page) is shown
