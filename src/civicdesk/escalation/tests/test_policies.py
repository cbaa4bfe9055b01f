from __future__ import annotations

import pytest

from civicdesk.escalation import policies
from civicdesk.escalation.models import EscalationPolicy, PolicyLevel

pytestmark = pytest.mark.django_db


def policy(agency, name, unit=None, signal="threat", people=()):
    made = EscalationPolicy.objects.create(
        organization=agency.district, unit=unit, signal=signal, name=name
    )
    level = PolicyLevel.objects.create(policy=made, position=1)
    level.people.add(*people)
    return made


class TestPolicyFor:
    def test_the_most_specific_policy_up_the_unit_tree_wins(self, agency):
        organization_wide = policy(agency, "Everyone")
        assert policies.policy_for(agency.high_school, "threat") == organization_wide
        district = policy(agency, "District office", unit=agency.district_office)
        assert policies.policy_for(agency.high_school, "threat") == district
        school = policy(agency, "High school", unit=agency.high_school)
        assert policies.policy_for(agency.high_school, "threat") == school
        assert policies.policy_for(agency.elementary, "threat") == district
        assert policies.policy_for(agency.district_office, "threat") == district

    def test_each_signal_has_its_own_policies(self, agency):
        policy(agency, "Threats")
        self_harm = policy(agency, "Self-harm", signal="self_harm")
        assert policies.policy_for(agency.high_school, "self_harm") == self_harm
        assert policies.policy_for(agency.high_school, "routing") is None

    def test_another_organizations_policy_never_applies(self, agency):
        EscalationPolicy.objects.create(
            organization=agency.other_district, signal="threat", name="Hillside"
        )
        assert policies.policy_for(agency.high_school, "threat") is None


class TestValidate:
    def test_a_policy_with_no_level_tells_nobody(self, agency):
        empty = EscalationPolicy.objects.create(
            organization=agency.district, signal="threat", name="Empty"
        )
        assert policies.validate(empty) == [
            "Add a first level to “Empty”: a policy with no level tells nobody."
        ]

    def test_a_level_with_nobody_and_no_rotation_is_explained(self, agency):
        assert policies.validate(policy(agency, "Nobody")) == [
            "Level 1 of “Nobody” names nobody. Add a person or an on-call rotation, or remove "
            "the level."
        ]

    def test_hand_overs_that_loop_back_are_refused(self, agency, safety):
        school = policy(agency, "School", unit=agency.high_school, people=[safety.safety_lead])
        PolicyLevel.objects.filter(policy=school).update(then_policy=safety.policy)
        safety.level_2.then_policy = school
        safety.level_2.save()
        assert policies.validate(school) == [
            "The hand-overs from “School” go “School” → “District threats” → “School” and back "
            "again, so alerts would go round for ever. Point the last hand-over to a policy "
            "that ends."
        ]

    def test_a_hand_over_from_a_level_that_is_not_the_last_is_refused(self, agency, safety):
        other = policy(agency, "Other", unit=agency.high_school, people=[safety.safety_lead])
        safety.level_1.then_policy = other
        safety.level_1.save()
        assert policies.validate(safety.policy) == [
            "Only the last level can hand over to another policy; level 1 is not the last."
        ]

    def test_a_sound_policy_with_a_hand_over_has_no_problems(self, agency, safety):
        other = policy(agency, "Other", unit=agency.high_school, people=[safety.safety_lead])
        safety.level_2.then_policy = other
        safety.level_2.save()
        assert policies.validate(safety.policy) == []
