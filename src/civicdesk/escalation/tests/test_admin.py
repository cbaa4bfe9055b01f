from __future__ import annotations

import pytest

from civicdesk.core.models import AuditEvent
from civicdesk.escalation.models import EscalationPolicy
from civicdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def _levels(*rows):
    data = {
        "levels-TOTAL_FORMS": len(rows),
        "levels-INITIAL_FORMS": 0,
        "levels-MIN_NUM_FORMS": 0,
        "levels-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data.update({f"levels-{i}-{key}": value for key, value in row.items()})
    return data


@pytest.fixture
def setup_admin(client):
    client.force_login(UserFactory.create(username="setup", is_staff=True, is_superuser=True))
    return client


def test_a_level_that_names_nobody_is_refused_in_the_admin(setup_admin, agency):
    response = setup_admin.post(
        "/admin/escalation/escalationpolicy/add/",
        {
            "organization": agency.district.pk,
            "signal": "threat",
            "name": "Threats",
            **_levels({"position": 1, "wait_minutes": 10}),
        },
    )
    assert response.status_code == 200
    assert "Level 1 of “Threats” names nobody." in response.content.decode()
    assert not EscalationPolicy.objects.exists()


def test_a_policy_saved_in_the_admin_is_audited(setup_admin, agency, safety):
    response = setup_admin.post(
        "/admin/escalation/escalationpolicy/add/",
        {
            "organization": agency.district.pk,
            "unit": agency.high_school.pk,
            "signal": "threat",
            "name": "High school threats",
            **_levels({"position": 1, "wait_minutes": 5, "people": [safety.safety_lead.pk]}),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditEvent.objects.filter(action="escalationpolicy.added").exists()


def test_a_phone_number_without_its_country_code_is_refused_in_the_admin(setup_admin, safety):
    response = setup_admin.post(
        "/admin/escalation/contactmethod/add/",
        {"user": safety.officer_a.pk, "kind": "sms", "address": "512-555-0143", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "+15125550143" in response.content.decode()
