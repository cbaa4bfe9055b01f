"""The demo's safety set-up: who is alerted about a threat or self-harm, and how.

Every address is at riverbend.example; the demo's mail sink catches what is sent there, so the
alerts can be read at /demo/mail/ and acknowledged from their links.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from civicdesk.core.models import Organization
from civicdesk.escalation.models import ContactMethod, EscalationPolicy, PolicyLevel

# (organization, signal, policy name, [(wait minutes, [usernames])])
POLICIES = [
    (
        "Riverbend Unified School District",
        "threat",
        "Threats against the district's schools",
        [(5, ["comms.director", "high.school.editor"]), (10, ["admin"])],
    ),
    (
        "Riverbend Unified School District",
        "self_harm",
        "Students at risk of self-harm",
        [(5, ["comms.director"]), (10, ["admin"])],
    ),
    ("Riverbend Police Department", "threat", "Threats in the city", [(5, ["pd.pio", "admin"])]),
    ("City of Riverbend", "threat", "Threats against city officials", [(5, ["mayor.press"])]),
]


def set_up_escalation() -> None:
    """Create the policies and e-mail contacts once; a restarted demo leaves them as they are."""
    people = {user.username: user for user in User.objects.all()}
    for user in people.values():
        if not user.email:
            user.email = f"{user.username}@riverbend.example"
            user.save(update_fields=["email"])
        ContactMethod.objects.get_or_create(user=user, kind="email", address=user.email)
    for org_name, signal, name, levels in POLICIES:
        organization = Organization.objects.get(name=org_name)
        policy, created = EscalationPolicy.objects.get_or_create(
            organization=organization, unit=None, signal=signal, defaults={"name": name}
        )
        if not created:
            continue
        for position, (wait, usernames) in enumerate(levels, start=1):
            level = PolicyLevel.objects.create(policy=policy, position=position, wait_minutes=wait)
            level.people.add(*[people[u] for u in usernames if u in people])
