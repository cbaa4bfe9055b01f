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
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import call_command
from django.db import connection

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
def _plain_static_files(settings) -> None:  # type: ignore[no-untyped-def]
    # The manifest storage needs collectstatic; tests serve straight from the source tree.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _anchors_in_tmp(settings, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
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
    district_admin: AbstractBaseUser
    school_editor: AbstractBaseUser
    other_district: Organization
    other_account: Account
    other_editor: AbstractBaseUser


@pytest.fixture
def agency(db) -> Agency:  # type: ignore[no-untyped-def]
    """Riverbend district (office → high school, elementary) and a neighbouring district."""
    district = OrganizationFactory(name="Riverbend USD", slug="riverbend")
    office = UnitFactory(organization=district, name="District Office", kind=Unit.Kind.DISTRICT)
    high = UnitFactory(organization=district, name="Riverbend High", parent=office)
    elementary = UnitFactory(organization=district, name="Oak Grove Elementary", parent=office)
    other = OrganizationFactory(name="Hillside USD", slug="hillside")
    other_office = UnitFactory(organization=other, name="Hillside Office", kind=Unit.Kind.DISTRICT)
    district_admin = UserFactory(username="district_admin")
    school_editor = UserFactory(username="school_editor")
    other_editor = UserFactory(username="other_editor")
    MembershipFactory(user=district_admin, unit=office, role=Membership.Role.ADMIN)
    MembershipFactory(user=school_editor, unit=high, role=Membership.Role.EDITOR)
    MembershipFactory(user=other_editor, unit=other_office, role=Membership.Role.EDITOR)
    return Agency(
        district=district,
        district_office=office,
        high_school=high,
        elementary=elementary,
        district_account=AccountFactory(
            unit=office, handle="RiverbendUSD", display_name="Riverbend USD"
        ),
        high_school_account=AccountFactory(
            unit=high, handle="RiverbendHigh", display_name="Riverbend High"
        ),
        elementary_account=AccountFactory(
            unit=elementary, handle="OakGrove", display_name="Oak Grove"
        ),
        district_admin=district_admin,
        school_editor=school_editor,
        other_district=other,
        other_account=AccountFactory(
            unit=other_office, handle="HillsideUSD", display_name="Hillside USD"
        ),
        other_editor=other_editor,
    )


@pytest.fixture
def flushable_archive(transactional_db):  # type: ignore[no-untyped-def]
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
def smtp_server(settings) -> Iterator[Mailbox]:  # type: ignore[no-untyped-def]
    """A real SMTP server (aiosmtpd) on a free local port, with Django pointed at it."""
    mailbox = Mailbox(messages=[])

    class Collect:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            mailbox.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
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
def run_tasks_now(settings) -> None:  # type: ignore[no-untyped-def]
    """Tasks run as soon as they are enqueued (after the transaction commits)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
