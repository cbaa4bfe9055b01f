from __future__ import annotations

import pytest
from django.urls import reverse

from civicdesk.core.models import Membership, Unit
from civicdesk.routing.models import RoutingRule
from civicdesk.testing.factories import MembershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def transportation(agency):
    unit = UnitFactory.create(
        organization=agency.district,
        name="Transportation",
        kind=Unit.Kind.DEPARTMENT,
        parent=agency.district_office,
        takes_routed_items=True,
    )
    dispatcher = UserFactory.create(username="dispatcher")
    MembershipFactory.create(user=dispatcher, unit=unit, role=Membership.Role.RESPONDER)
    return unit, dispatcher


class TestRuleEditor:
    def test_an_admin_adds_a_rule(self, client, agency, transportation):
        unit, _ = transportation
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("routing:rules"),
            {
                "name": "Bus questions",
                "position": 10,
                "is_enabled": "on",
                "signals": ["question"],
                "signal_match": "any",
                "keywords": "bus, route",
                "language": "",
                "route_to": unit.pk,
                "tag": "buses",
            },
        )
        assert response.status_code == 302
        rule = RoutingRule.objects.get()
        assert (rule.keywords, rule.signals, rule.organization) == (
            ["bus", "route"],
            ["question"],
            agency.district,
        )
        assert "Bus questions" in client.get(reverse("routing:rules")).content.decode()

    def test_a_rule_that_does_nothing_is_explained(self, client, agency):
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("routing:rules"), {"name": "Nothing", "position": 1, "signal_match": "any"}
        )
        assert response.status_code == 400
        assert (
            "Say what the rule does: a queue, a person, a tag, or escalation."
            in response.content.decode()
        )
