"""What a staff member may see: every view asks here, nowhere else.

A membership in a unit reaches that unit and every unit below it. Superusers see everything.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Subquery
from django.http import Http404

from civicdesk.accounts.models import Account
from civicdesk.archive.models import Item
from civicdesk.escalation.models import ContactMethod, Incident, Notification

from .models import Membership, Organization, Unit

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


def manageable_organizations(user: Person) -> QuerySet[Organization]:
    """Organizations whose organization-wide settings (routing rules, signal thresholds) this
    person may change: superusers, and admins of a top-level unit of the organization.

    An admin of a school or a precinct manages that unit only; its rules would reach every unit.
    """
    if not user.is_authenticated:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(
        units__parent__isnull=True,
        units__memberships__user=user,
        units__memberships__role=Membership.Role.ADMIN,
    ).distinct()


def can_manage_organization(user: Person, organization: Organization) -> bool:
    return manageable_organizations(user).filter(pk=organization.pk).exists()


def organization_to_manage(
    user: Person, pk: str | None, *, preferring: Q | None = None
) -> Organization:
    """The organization ``pk`` names, or with none named the first this person manages (the first
    matching ``preferring`` if any does).

    Raises PermissionDenied for someone who manages no organization, and Http404 when ``pk`` is
    not an organization they manage.
    """
    organizations = manageable_organizations(user)
    if not organizations.exists():
        raise PermissionDenied("Only an organization's admins can change its routing and triage.")
    if pk:
        if not pk.isdigit():
            raise Http404("No such organization.")
        try:
            return organizations.get(pk=int(pk))
        except Organization.DoesNotExist as exc:
            raise Http404("No such organization.") from exc
    chosen = organizations.filter(preferring).first() if preferring is not None else None
    return chosen or organizations[0]


def can_read_caught_mail(user: Person, recipients: list[str]) -> bool:
    """The demo's caught mail: a superuser reads all of it, anyone else what was sent to them."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    own = (user.email or "").strip().lower()
    return bool(own) and own in {r.strip().lower() for r in recipients}


def visible_incidents(user: Person) -> QuerySet[Incident]:
    """Incidents in the person's units, and any incident they were alerted about."""
    if not user.is_authenticated:
        return Incident.objects.none()
    alerted = Notification.objects.filter(recipient=user).values("incident_id")
    return Incident.objects.filter(
        Q(unit_id__in=visible_unit_ids(user)) | Q(pk__in=Subquery(alerted))
    )


def incident_for(user: Person, pk: int) -> Incident:
    """The incident, if this person may see it; otherwise 404, never 403."""
    try:
        return visible_incidents(user).select_related("unit", "item", "owner", "policy").get(pk=pk)
    except Incident.DoesNotExist as exc:
        raise Http404("No such incident.") from exc


def can_act_on_incident(user: Person, incident: Incident) -> bool:
    """Acknowledging, closing and adding notes: anyone alerted about it, and staff of its unit or
    a unit above in any role but viewer."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or incident.notifications.filter(recipient=user).exists():
        return True
    roots = set(
        Membership.objects.filter(user=user)
        .exclude(role=Membership.Role.VIEWER)
        .values_list("unit_id", flat=True)
    )
    return incident.unit_id in units_below(roots)


def escalation_units(user: Person) -> QuerySet[Unit]:
    """Units whose escalation setup (who would be told, and how to reach them) this person may
    review: admins of the unit or of a unit above it, and superusers.

    It shows colleagues' phone numbers, so other staff of the unit do not see it.
    """
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.select_related("organization")
    admin_roots = set(
        Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values_list(
            "unit_id", flat=True
        )
    )
    return Unit.objects.filter(pk__in=units_below(admin_roots)).select_related("organization")


def alert_for_link(token: str) -> Notification:
    """The alert an acknowledge link was sent in. No sign-in: the signed link is the proof.

    Raises ``LinkProblem`` (with the words for the page) for a forged or expired link, and for
    an alert that no longer exists.
    """
    from civicdesk.escalation.links import LinkProblem, notification_of

    found = (
        Notification.objects.select_related(
            "incident__unit", "incident__item__account", "recipient"
        )
        .filter(pk=notification_of(token))
        .first()
    )
    if found is None:
        raise LinkProblem("This acknowledge link belongs to an alert that no longer exists.")
    return found


def own_contact_method(user: Person, pk: int) -> ContactMethod:
    """One of the person's own contact methods; anyone else's is not found."""
    if not user.is_authenticated:
        raise Http404("No such contact method.")
    try:
        return ContactMethod.objects.get(pk=pk, user_id=user.pk)
    except ContactMethod.DoesNotExist as exc:
        raise Http404("No such contact method.") from exc
