"""An escalation setup for the Riverbend district: a safety team on call and a threat policy."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from civicdesk.accounts.models import Account
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import Item
from civicdesk.escalation.models import (
    ContactMethod,
    EscalationPolicy,
    OnCallRotation,
    PolicyLevel,
    RotationMember,
)
from civicdesk.testing.factories import UserFactory, record


@dataclass
class Safety:
    safety_lead: User
    superintendent: User
    officer_a: User
    officer_b: User
    rotation: OnCallRotation
    policy: EscalationPolicy
    level_1: PolicyLevel
    level_2: PolicyLevel


def post(
    account: Account, platform_id: str, text: str = "I will hurt people at school", **fields
) -> Item:
    """An item as ingestion stores it, with its first archived version."""
    with transaction.atomic():
        store_records(account=account, records=[record(platform_id, text, **fields)], source="poll")
    return Item.objects.select_related("account__unit").get(
        account=account, platform_id=platform_id
    )


@pytest.fixture
def safety(agency) -> Safety:
    """Organization-wide threat policy: level 1 the safety lead and the officer on call (weekly
    rotation, Mondays 08:00), then after 5 minutes level 2 the superintendent."""
    lead = UserFactory.create(username="safety_lead", first_name="Sam", last_name="Lead")
    superintendent = UserFactory.create(username="superintendent")
    officer_a = UserFactory.create(username="officer_a")
    officer_b = UserFactory.create(username="officer_b")
    ContactMethod.objects.create(user=lead, kind="sms", address="+15125550143")
    ContactMethod.objects.create(user=lead, kind="email", address="lead@riverbend.example")
    ContactMethod.objects.create(user=superintendent, kind="email", address="sup@riverbend.example")
    ContactMethod.objects.create(user=officer_a, kind="sms", address="+15125550144")
    ContactMethod.objects.create(user=officer_b, kind="sms", address="+15125550145")
    rotation = OnCallRotation.objects.create(
        organization=agency.district,
        name="School resource officers",
        hand_off="weekly",
        hand_off_time=datetime.time(8, 0),
        hand_off_weekday=0,
        starts_on=datetime.date(2026, 1, 5),
    )
    RotationMember.objects.create(rotation=rotation, user=officer_a, position=1)
    RotationMember.objects.create(rotation=rotation, user=officer_b, position=2)
    policy = EscalationPolicy.objects.create(
        organization=agency.district, signal="threat", name="District threats"
    )
    level_1 = PolicyLevel.objects.create(policy=policy, position=1, wait_minutes=5)
    level_1.people.add(lead)
    level_1.rotations.add(rotation)
    level_2 = PolicyLevel.objects.create(policy=policy, position=2, wait_minutes=10)
    level_2.people.add(superintendent)
    return Safety(lead, superintendent, officer_a, officer_b, rotation, policy, level_1, level_2)
