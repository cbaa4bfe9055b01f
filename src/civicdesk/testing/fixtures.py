"""Shared pytest fixtures: named people in a small agency, as staff would meet them."""

from __future__ import annotations

import importlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from pytest_django.fixtures import Settings

from civicdesk.accounts.models import Account
from civicdesk.core.models import Membership, Organization, Unit

from .factories import (
    AccountFactory,
    MembershipFactory,
    OrganizationFactory,
    UnitFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Settings) -> None:
    # The manifest storage needs collectstatic; tests serve straight from the source tree.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _anchors_in_tmp(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Seals are signed into files; each test gets its own key and anchor file.
    folder = tmp_path_factory.mktemp("anchors")
    settings.ANCHOR_KEY_FILE = folder / "anchor_key"
    settings.ANCHOR_FILE = folder / "anchors.jsonl"


@dataclass
class Agency:
    district: Organization
    district_office: Unit
    high_school: Unit
    elementary: Unit
    district_account: Account
    high_school_account: Account
    elementary_account: Account
    district_admin: User
    school_editor: User
    other_district: Organization
    other_account: Account
    other_editor: User


@pytest.fixture
def agency(db: None) -> Agency:
    """Riverbend district (office → high school, elementary) and a neighbouring district."""
    district = OrganizationFactory.create(name="Riverbend USD", slug="riverbend")
    office = UnitFactory.create(
        organization=district, name="District Office", kind=Unit.Kind.DISTRICT
    )
    high = UnitFactory.create(organization=district, name="Riverbend High", parent=office)
    elementary = UnitFactory.create(
        organization=district, name="Oak Grove Elementary", parent=office
    )
    other = OrganizationFactory.create(name="Hillside USD", slug="hillside")
    other_office = UnitFactory.create(
        organization=other, name="Hillside Office", kind=Unit.Kind.DISTRICT
    )
    district_admin = UserFactory.create(username="district_admin")
    school_editor = UserFactory.create(username="school_editor")
    other_editor = UserFactory.create(username="other_editor")
    MembershipFactory.create(user=district_admin, unit=office, role=Membership.Role.ADMIN)
    MembershipFactory.create(user=school_editor, unit=high, role=Membership.Role.EDITOR)
    MembershipFactory.create(user=other_editor, unit=other_office, role=Membership.Role.EDITOR)
    return Agency(
        district=district,
        district_office=office,
        high_school=high,
        elementary=elementary,
        district_account=AccountFactory.create(
            unit=office, handle="RiverbendUSD", display_name="Riverbend USD"
        ),
        high_school_account=AccountFactory.create(
            unit=high, handle="RiverbendHigh", display_name="Riverbend High"
        ),
        elementary_account=AccountFactory.create(
            unit=elementary, handle="OakGrove", display_name="Oak Grove"
        ),
        district_admin=district_admin,
        school_editor=school_editor,
        other_district=other,
        other_account=AccountFactory.create(
            unit=other_office, handle="HillsideUSD", display_name="Hillside USD"
        ),
        other_editor=other_editor,
    )


@pytest.fixture
def transportation(agency: Agency) -> tuple[Unit, User]:
    """The district's Transportation department, which takes routed items, and its dispatcher."""
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


@pytest.fixture
def flushable_archive(transactional_db: None) -> Iterator[None]:
    """Lets a transactional test's database be emptied afterwards.

    SQLite's guard triggers refuse the DELETE that flushing uses (PostgreSQL flushes with
    TRUNCATE, which row triggers do not see); lift them, flush, and put them back.
    """
    yield
    guard = importlib.import_module("civicdesk.archive.migrations.0002_versions_are_immutable")
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in guard.SQLITE_REVERSE:
            cursor.execute(statement)
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        for statement in guard.SQLITE:
            cursor.execute(statement)


@dataclass
class Mailbox:
    """What a real SMTP server on localhost received during a test."""

    messages: list[EmailMessage]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m.get_all("To", [])[0]]


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a free local port, with Django pointed at it."""
    mailbox = Mailbox(messages=[])

    class Collect:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            mailbox.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def run_tasks_now(settings: Settings) -> None:
    """Tasks run as soon as they are enqueued (after the transaction commits)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
