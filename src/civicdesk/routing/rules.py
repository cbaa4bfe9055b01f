"""Saving an organization's routing rules, each change with its audit event."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest

from civicdesk.core import audit
from civicdesk.core.models import Organization

from .models import RoutingRule


@transaction.atomic
def save_rule(
    *,
    rule: RoutingRule,
    organization: Organization,
    changed: list[str],
    by: User,
    request: HttpRequest | None = None,
) -> RoutingRule:
    """Save a new or edited rule for ``organization``; it applies to items triaged from now on.

    The rule and its audit event are written together or not at all.
    """
    rule.organization = organization
    rule.save()
    audit.record("routing.rule_saved", target=rule, by=by, request=request, fields=changed)
    return rule
