"""An account's health as its owners see it: when it breaks, the people answerable are told."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction

from civicdesk.core import audit, owed
from civicdesk.core.models import Membership, Unit

from .models import Account


def owners_of(account: Account) -> list[User]:
    """The account's custodian and the admins of its unit and every unit above it."""
    unit_ids: list[int] = []
    unit: Unit | None = account.unit
    while unit is not None:
        unit_ids.append(unit.pk)
        unit = unit.parent
    admins = get_user_model().objects.filter(
        memberships__unit_id__in=unit_ids, memberships__role=Membership.Role.ADMIN, is_active=True
    )
    people = {user.pk: user for user in admins}
    if account.custodian is not None and account.custodian.is_active:
        people[account.custodian.pk] = account.custodian
    return sorted(people.values(), key=lambda u: u.pk)


@transaction.atomic
def mark_needs_reconnect(*, account: Account, reason: str) -> bool:
    """Flag the account and tell its owners, once per breakage; returns False if already flagged."""
    flagged = (
        Account.objects.filter(pk=account.pk)
        .exclude(status=Account.Status.NEEDS_RECONNECT)
        .update(status=Account.Status.NEEDS_RECONNECT, last_error=reason)
    )
    if not flagged:
        return False
    account.status, account.last_error = Account.Status.NEEDS_RECONNECT, reason
    audit.record("account.needs_reconnect", target=account, reason=reason)
    from .tasks import send_reconnect_notice

    owed.owe(send_reconnect_notice, account_id=account.pk)
    return True


def send_reconnect_notice(*, account: Account) -> int:
    """E-mail the account's owners that it must be reconnected; returns how many were told."""
    recipients = [u.email for u in owners_of(account) if getattr(u, "email", "")]
    if not recipients:
        return 0
    subject = f"Reconnect {account.display_name} ({account.get_platform_display()})"
    body = (
        f"Civic Desk can no longer read or post on {account.display_name} "
        f"({account.get_platform_display()}, {account.handle}).\n\n"
        f"What the platform said: {account.last_error}\n\n"
        "Until someone reconnects it, new comments and messages on this account are not being "
        "archived or shown in the inbox. Sign in to Civic Desk, open Accounts, and choose "
        f'"Reconnect" next to {account.display_name}.\n'
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)
