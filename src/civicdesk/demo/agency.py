"""The demo agency: a school district, a police department and a mayor's office in Riverbend.

Every account replays a file from ``demo/data`` on the demo's own clock, so the inbox fills with
three days of history at once and then live traffic for the next two hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import Platform
from civicdesk.core import audit
from civicdesk.core.models import Membership, Organization, Unit
from civicdesk.demo.escalation_setup import set_up_escalation
from civicdesk.routing.models import RoutingRule

DATA_DIR = Path(__file__).parent / "data"
DEMO_PASSWORD = "riverbend-demo"  # noqa: S105 - printed for anyone running the demo


@dataclass(frozen=True)
class DemoAccount:
    unit: str
    platform: Platform
    handle: str
    display_name: str
    replay: str


ORGANIZATIONS: list[tuple[str, str, str, list[tuple[str, str, str | None]], list[DemoAccount]]] = [
    (
        "Riverbend Unified School District",
        "riverbend-usd",
        Organization.Kind.SCHOOL_DISTRICT,
        [
            ("District Office", Unit.Kind.DISTRICT, None),
            ("Riverbend High School", Unit.Kind.SCHOOL, "District Office"),
            ("Lincoln Middle School", Unit.Kind.SCHOOL, "District Office"),
            ("Oak Grove Elementary", Unit.Kind.SCHOOL, "District Office"),
            ("Transportation", Unit.Kind.DEPARTMENT, "District Office"),
        ],
        [
            DemoAccount(
                "District Office",
                Platform.FACEBOOK,
                "RiverbendUSD",
                "Riverbend Unified School District",
                "riverbend-usd-facebook",
            ),
            DemoAccount(
                "District Office", Platform.X, "@RiverbendUSD", "Riverbend USD", "riverbend-usd-x"
            ),
            DemoAccount(
                "Riverbend High School",
                Platform.FACEBOOK,
                "riverbendhigh",
                "Riverbend High School",
                "riverbend-high-facebook",
            ),
            DemoAccount(
                "Lincoln Middle School",
                Platform.FACEBOOK,
                "lincolnmiddle",
                "Lincoln Middle School",
                "lincoln-middle-facebook",
            ),
            DemoAccount(
                "Oak Grove Elementary",
                Platform.FACEBOOK,
                "oakgroveelementary",
                "Oak Grove Elementary",
                "oak-grove-elementary-facebook",
            ),
        ],
    ),
    (
        "Riverbend Police Department",
        "riverbend-pd",
        Organization.Kind.POLICE,
        [
            ("Police Headquarters", Unit.Kind.DEPARTMENT, None),
            ("5th Precinct", Unit.Kind.PRECINCT, "Police Headquarters"),
            ("7th Precinct", Unit.Kind.PRECINCT, "Police Headquarters"),
        ],
        [
            DemoAccount(
                "Police Headquarters",
                Platform.X,
                "@RiverbendPDTips",
                "Riverbend Police Tips",
                "riverbend-pd-x",
            )
        ],
    ),
    (
        "City of Riverbend",
        "city-of-riverbend",
        Organization.Kind.CITY,
        [("Office of the Mayor", Unit.Kind.OFFICE, None)],
        [
            DemoAccount(
                "Office of the Mayor",
                Platform.X,
                "@MayorRiverbend",
                "Office of the Mayor",
                "mayor-x",
            )
        ],
    ),
]

# Departments and precincts answer what is routed to them.
ROUTED_KINDS = {Unit.Kind.DEPARTMENT, Unit.Kind.PRECINCT}

# Routing rules a comms office would start with: (organization, name, fields).
RULES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Riverbend Unified School District",
        "Bus and route questions to Transportation",
        {
            "signals": ["question", "complaint"],
            "keywords": ["bus", "route", "autobús", "parada"],
            "route_to": "Transportation",
            "tag": "buses",
            "position": 10,
        },
    ),
    (
        "Riverbend Unified School District",
        "Threats go to the top",
        {"signals": ["threat", "self_harm"], "escalate": True, "tag": "safety", "position": 1},
    ),
    (
        "Riverbend Unified School District",
        "Spanish-speaking families",
        {"language": "es", "tag": "español", "position": 20},
    ),
    (
        "Riverbend Police Department",
        "Noise and parking complaints to the 7th Precinct",
        {
            "keywords": ["noise", "parking", "parked", "loud"],
            "route_to": "7th Precinct",
            "tag": "quality-of-life",
            "position": 10,
        },
    ),
]

# Named staff, each seeing only their part of the agency.
STAFF = [
    (
        "comms.director",
        "Riverbend Unified School District",
        "District Office",
        Membership.Role.ADMIN,
    ),
    (
        "high.school.editor",
        "Riverbend Unified School District",
        "Riverbend High School",
        Membership.Role.EDITOR,
    ),
    ("pd.pio", "Riverbend Police Department", "Police Headquarters", Membership.Role.RESPONDER),
    (
        "transportation",
        "Riverbend Unified School District",
        "Transportation",
        Membership.Role.RESPONDER,
    ),
    ("mayor.press", "City of Riverbend", "Office of the Mayor", Membership.Role.RESPONDER),
]


@transaction.atomic
def create_demo_agency(*, started_at: datetime, speed: float = 1.0) -> list[Account]:
    """Create (or find) the demo organizations, units, staff and accounts; restart their replays."""
    user_model = get_user_model()
    admin, created = user_model.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@riverbend.example"},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    accounts = []
    units: dict[tuple[str, str], Unit] = {}
    for name, slug, kind, unit_specs, account_specs in ORGANIZATIONS:
        organization, _ = Organization.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind}
        )
        for unit_name, unit_kind, parent_name in unit_specs:
            parent = units[(name, parent_name)] if parent_name else None
            unit, _ = Unit.objects.get_or_create(
                organization=organization,
                parent=parent,
                name=unit_name,
                defaults={"kind": unit_kind},
            )
            units[(name, unit_name)] = unit
        for spec in account_specs:
            account, was_created = Account.objects.get_or_create(
                platform=spec.platform,
                handle=spec.handle,
                defaults={
                    "organization": organization,
                    "unit": units[(name, spec.unit)],
                    "display_name": spec.display_name,
                },
            )
            account.options = {
                "replay_path": str(DATA_DIR / f"{spec.replay}.jsonl"),
                "replay_speed": speed,
                "replay_started_at": account.options.get("replay_started_at")
                or started_at.isoformat(),
            }
            account.poll_interval = 15
            account.save(update_fields=["options", "poll_interval"])
            if was_created:
                audit.record("account.added", target=account, by=admin, source="demo")
            accounts.append(account)
    for org_name, rule_name, fields in RULES:
        organization = Organization.objects.get(name=org_name)
        values = dict(fields)
        if "route_to" in values:
            queue = values["route_to"] = units[(org_name, values["route_to"])]
            # A unit a rule sends items to answers routed items, so staff can send items there too.
            if not queue.takes_routed_items:
                queue.takes_routed_items = True
                queue.save(update_fields=["takes_routed_items"])
        RoutingRule.objects.get_or_create(
            organization=organization, name=rule_name, defaults=values
        )
    for username, org_name, unit_name, role in STAFF:
        user, created = user_model.objects.get_or_create(username=username)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(
            user=user, unit=units[(org_name, unit_name)], defaults={"role": role}
        )
    set_up_escalation()
    return accounts
