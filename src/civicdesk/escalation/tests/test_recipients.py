from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from civicdesk.escalation.models import (
    ContactMethod,
    OnCallRotation,
    PolicyLevel,
)
from civicdesk.escalation.recipients import who_would_be_told
from civicdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

TUESDAY_NIGHT = datetime.datetime(2026, 1, 13, 2, 30, tzinfo=ZoneInfo("America/Chicago"))


def test_each_level_lists_the_people_on_call_and_how_to_reach_them(agency, safety):
    plan = who_would_be_told(agency.high_school, "threat", TUESDAY_NIGHT)
    assert plan.policy == safety.policy
    assert plan.all_gaps == []
    first, second = plan.levels
    assert [(r.user, r.rotation) for r in first.recipients] == [
        (safety.safety_lead, None),
        (safety.officer_b, safety.rotation),
    ]
    assert [m.address for m in first.recipients[0].contacts] == [
        "lead@riverbend.example",
        "+15125550143",
    ]
    assert [r.user for r in second.recipients] == [safety.superintendent]


def test_every_gap_is_listed_in_words(agency, safety):
    ContactMethod.objects.filter(user=safety.superintendent).update(is_active=False)
    ContactMethod.objects.filter(user=safety.safety_lead, kind="sms").update(
        last_failure="The carrier refused the number."
    )
    empty_rotation = OnCallRotation.objects.create(
        organization=agency.district, name="Weekend desk", starts_on=datetime.date(2026, 1, 5)
    )
    safety.level_2.rotations.add(empty_rotation)
    PolicyLevel.objects.create(policy=safety.policy, position=3)
    plan = who_would_be_told(agency.high_school, "threat", TUESDAY_NIGHT)
    assert plan.levels[0].gaps == [
        "The last alert to Sam Lead by text message (+15125550143) failed: The carrier "
        "refused the number."
    ]
    assert plan.levels[1].gaps == [
        "Nobody is on call in “Weekend desk” at 2026-01-13 02:30 (America/Chicago). Add people "
        "to the rotation or an override for this time.",
        "superintendent has no working way to be reached. Add an e-mail address or a mobile "
        "number to their contact methods.",
    ]
    assert plan.levels[2].gaps == [
        "Level 3 of “District threats” names nobody. Add a person or an on-call rotation."
    ]
    assert "Level 3 of “District threats” names nobody." in plan.gaps[0]


def test_no_policy_at_all_is_a_gap(agency):
    plan = who_would_be_told(agency.high_school, "self_harm", TUESDAY_NIGHT)
    assert plan.policy is None
    assert plan.gaps == [
        "No escalation policy covers self-harm for Riverbend High, the units above it, or the "
        "whole organization, so nobody would be told. Add one."
    ]


def test_a_person_named_twice_in_a_level_is_told_once(agency, safety):
    safety.level_1.people.add(safety.officer_b)
    plan = who_would_be_told(agency.high_school, "threat", TUESDAY_NIGHT)
    assert [r.user for r in plan.levels[0].recipients].count(safety.officer_b) == 1


def test_a_hand_over_shows_the_next_policys_levels(agency, safety):
    from civicdesk.escalation.models import EscalationPolicy

    police = EscalationPolicy.objects.create(
        organization=agency.district, unit=agency.elementary, signal="threat", name="Police"
    )
    chief = UserFactory.create(username="chief")
    level = PolicyLevel.objects.create(policy=police, position=1)
    level.people.add(chief)
    safety.level_2.then_policy = police
    safety.level_2.save()
    plan = who_would_be_told(agency.high_school, "threat", TUESDAY_NIGHT)
    assert [(lv.policy.name, lv.level.position) for lv in plan.levels] == [
        ("District threats", 1),
        ("District threats", 2),
        ("Police", 1),
    ]
