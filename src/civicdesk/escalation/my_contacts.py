"""Each person keeps their own ways of being reached, so an alert finds them at 11 p.m."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from civicdesk.core import audit

from . import contacts
from .models import ContactMethod


@transaction.atomic
def add_contact(
    *, user: User, kind: str, address: str, request: HttpRequest | None = None
) -> ContactMethod:
    """Add one way to reach ``user``; raises ValidationError with a sentence for a bad address."""
    cleaned = contacts.clean_address(kind, address)
    if ContactMethod.objects.filter(user=user, kind=kind, address=cleaned).exists():
        raise ValidationError("You have this one already.")
    method = ContactMethod.objects.create(user=user, kind=kind, address=cleaned)
    audit.record("escalation.contact_added", target=method, by=user, request=request, kind=kind)
    return method


@transaction.atomic
def set_active(
    *, method: ContactMethod, active: bool, by: User, request: HttpRequest | None = None
) -> None:
    """Turn a contact method on or off; an alert is never sent to one that is off."""
    ContactMethod.objects.filter(pk=method.pk).update(is_active=active, last_failure="")
    audit.record(
        "escalation.contact_turned_on" if active else "escalation.contact_turned_off",
        target=method,
        by=by,
        request=request,
    )
