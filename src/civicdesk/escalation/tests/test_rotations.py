from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from civicdesk.escalation import rotations
from civicdesk.escalation.models import OnCallRotation, RotationMember, RotationOverride
from civicdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


class TestWeeklyHandOff:
    def test_the_next_person_takes_over_on_monday_at_eight(self, safety):
        assert rotations.on_call(safety.rotation, local(2026, 1, 5, 8, 0)) == safety.officer_a
        assert rotations.on_call(safety.rotation, local(2026, 1, 12, 7, 59)) == safety.officer_a
        assert rotations.on_call(safety.rotation, local(2026, 1, 12, 8, 0)) == safety.officer_b
        assert rotations.on_call(safety.rotation, local(2026, 1, 19, 8, 0)) == safety.officer_a

    def test_the_hand_off_stays_at_eight_local_across_daylight_saving_time(self, safety):
        # Clocks go forward on Sunday 8 March 2026 and back on Sunday 1 November 2026.
        before_spring = rotations.on_call(safety.rotation, local(2026, 3, 9, 7, 59))
        after_spring = rotations.on_call(safety.rotation, local(2026, 3, 9, 8, 0))
        assert before_spring != after_spring
        before_fall = rotations.on_call(safety.rotation, local(2026, 11, 2, 7, 59))
        after_fall = rotations.on_call(safety.rotation, local(2026, 11, 2, 8, 0))
        assert before_fall != after_fall
        # 08:00 CDT is 13:00 UTC; 08:00 CST is 14:00 UTC: the same wall-clock time.
        utc = datetime.UTC
        assert (
            rotations.on_call(safety.rotation, datetime.datetime(2026, 3, 9, 12, 59, tzinfo=utc))
            == before_spring
        )
        assert (
            rotations.on_call(safety.rotation, datetime.datetime(2026, 3, 9, 13, 0, tzinfo=utc))
            == after_spring
        )
        assert (
            rotations.on_call(safety.rotation, datetime.datetime(2026, 11, 2, 13, 59, tzinfo=utc))
            == before_fall
        )

    def test_a_start_midweek_gives_the_first_person_a_short_week(self, safety):
        safety.rotation.starts_on = datetime.date(2026, 1, 8)  # a Thursday
        safety.rotation.save()
        assert rotations.on_call(safety.rotation, local(2026, 1, 8, 9, 0)) == safety.officer_a
        assert rotations.on_call(safety.rotation, local(2026, 1, 12, 8, 0)) == safety.officer_b

    def test_nobody_is_on_call_before_the_rotation_starts(self, safety):
        assert rotations.on_call(safety.rotation, local(2026, 1, 5, 7, 0)) is None


def test_a_daily_rotation_hands_off_every_day_across_daylight_saving_time(agency):
    rotation = OnCallRotation.objects.create(
        organization=agency.district,
        name="Night desk",
        hand_off="daily",
        hand_off_time=datetime.time(8, 0),
        starts_on=datetime.date(2026, 3, 6),
    )
    people = [UserFactory.create(username=f"desk{i}") for i in range(3)]
    for position, person in enumerate(people, start=1):
        RotationMember.objects.create(rotation=rotation, user=person, position=position)
    on_call = [rotations.on_call(rotation, local(2026, 3, day, 8, 0)) for day in range(6, 12)]
    assert on_call == people + people
    assert rotations.on_call(rotation, local(2026, 3, 9, 7, 59)) == people[2]


def test_an_override_wins_while_it_lasts(safety):
    substitute = UserFactory.create(username="substitute")
    RotationOverride.objects.create(
        rotation=safety.rotation,
        user=substitute,
        starts_at=local(2026, 1, 6, 18, 0),
        ends_at=local(2026, 1, 7, 6, 0),
        reason="Officer A at a training",
    )
    assert rotations.on_call(safety.rotation, local(2026, 1, 6, 17, 59)) == safety.officer_a
    assert rotations.on_call(safety.rotation, local(2026, 1, 6, 18, 0)) == substitute
    assert rotations.on_call(safety.rotation, local(2026, 1, 7, 6, 0)) == safety.officer_a


class TestValidation:
    def test_a_rotation_with_nobody_in_it_is_a_gap(self, agency):
        empty = OnCallRotation.objects.create(
            organization=agency.district, name="Weekend desk", starts_on=datetime.date(2026, 1, 5)
        )
        assert rotations.validate(empty) == [
            "Add at least one person to “Weekend desk”: a rotation with nobody in it leaves a "
            "gap, and alerts sent to it reach no one."
        ]
        assert rotations.on_call(empty, local(2026, 2, 1, 12, 0)) is None

    def test_overlapping_overrides_are_explained(self, safety):
        for name, start, end in [("sub1", 6, 8), ("sub2", 7, 9)]:
            RotationOverride.objects.create(
                rotation=safety.rotation,
                user=UserFactory.create(username=name),
                starts_at=local(2026, 1, start, 12, 0),
                ends_at=local(2026, 1, end, 12, 0),
            )
        assert rotations.validate(safety.rotation) == [
            "The overrides for sub1 and sub2 overlap, so it is unclear who is on call. Shorten "
            "one so that one ends before the other starts."
        ]

    def test_an_override_that_ends_before_it_starts_is_explained(self, safety):
        RotationOverride.objects.create(
            rotation=safety.rotation,
            user=safety.officer_b,
            starts_at=local(2026, 1, 8, 12, 0),
            ends_at=local(2026, 1, 7, 12, 0),
        )
        assert rotations.validate(safety.rotation) == [
            "The override for officer_b ends before it starts. Check its start and end."
        ]

    def test_a_sound_rotation_has_no_problems(self, safety):
        assert rotations.validate(safety.rotation) == []
