"""What a staff member may see: every view asks here, nowhere else.

A membership in a unit reaches that unit and every unit below it. Superusers see everything.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.http import Http404

from civicdesk.accounts.models import Account
from civicdesk.archive.models import Item

from .models import Membership, Unit

Person = User | AnonymousUser


def visible_unit_ids(user: Person) -> set[int]:
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(Unit.objects.values_list("pk", flat=True))
    roots = set(Membership.objects.filter(user=user).values_list("unit_id", flat=True))
    return units_below(roots)


def units_below(roots: set[int]) -> set[int]:
    """The given units and every unit under them."""
    if not roots:
        return set()
    organizations = Unit.objects.filter(pk__in=roots).values_list("organization_id", flat=True)
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Unit.objects.filter(organization_id__in=organizations).values_list(
        "pk", "parent_id"
    ):
        children[parent_id].append(pk)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        unit_id = stack.pop()
        if unit_id not in seen:
            seen.add(unit_id)
            stack.extend(children[unit_id])
    return seen


def visible_units(user: Person) -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=visible_unit_ids(user)).select_related("organization")


def visible_accounts(user: Person) -> QuerySet[Account]:
    return Account.objects.filter(unit_id__in=visible_unit_ids(user))


def visible_items(user: Person) -> QuerySet[Item]:
    """Items on the person's accounts, and items a rule or a colleague routed to their queue."""
    units = visible_unit_ids(user)
    return Item.objects.filter(Q(account__unit_id__in=units) | Q(inbox_entry__queue_id__in=units))


def item_for(user: Person, pk: int) -> Item:
    """The item, if this person may see it; otherwise 404, never 403, so ids are not probed."""
    try:
        return (
            visible_items(user)
            .select_related("account", "account__unit", "latest_version")
            .get(pk=pk)
        )
    except Item.DoesNotExist as exc:
        raise Http404("No such item.") from exc


def can_manage_account(user: Person, account: Account) -> bool:
    """Connecting an account and holding its keys is for admins of its unit or a unit above."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    admin_roots = set(
        Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values_list(
            "unit_id", flat=True
        )
    )
    return account.unit_id in units_below(admin_roots)


def account_for(user: Person, pk: int) -> Account:
    try:
        return visible_accounts(user).select_related("unit", "organization", "custodian").get(pk=pk)
    except Account.DoesNotExist as exc:
        raise Http404("No such account.") from exc
