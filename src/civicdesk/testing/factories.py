"""Factories for tests: an agency with units, staff and accounts in a few lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import ItemKind, ItemRecord, Platform
from civicdesk.core.models import Membership, Organization, Unit


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Agency {n}")
    slug = factory.Sequence(lambda n: f"agency-{n}")
    kind = Organization.Kind.SCHOOL_DISTRICT


class UnitFactory(factory.django.DjangoModelFactory[Unit]):
    class Meta:
        model = Unit

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = Unit.Kind.SCHOOL


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Membership.Role.RESPONDER


class AccountFactory(factory.django.DjangoModelFactory[Account]):
    class Meta:
        model = Account

    unit = factory.SubFactory(UnitFactory)
    organization = factory.LazyAttribute(lambda o: o.unit.organization)
    platform = Platform.FACEBOOK
    handle = factory.Sequence(lambda n: f"official{n}")
    display_name = factory.Sequence(lambda n: f"Official account {n}")


def record(platform_id: str, text: str = "Is school open tomorrow?", **fields: Any) -> ItemRecord:
    defaults: dict[str, Any] = {
        "kind": ItemKind.COMMENT,
        "created_at": timezone.now(),
        "author_handle": "parent1",
        "author_name": "A Parent",
    }
    return ItemRecord(platform_id=platform_id, text=text, **{**defaults, **fields})


def write_replay(path: Path, events: Iterable[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    return path


def replay_account(
    path: Path, *, speed: float = 0, started_at: datetime | None = None, **fields: Any
) -> Account:
    options = {
        "replay_path": str(path),
        "replay_speed": speed,
        "replay_started_at": (started_at or timezone.now()).isoformat(),
    }
    return AccountFactory.create(options=options, **fields)
