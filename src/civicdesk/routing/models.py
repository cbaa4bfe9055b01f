"""Routing rules: an organization's own decisions about which queue, person or tag an item gets."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civicdesk.accounts.models import Account
from civicdesk.core.models import Organization, Unit


class RoutingRule(models.Model):
    """If an item matches these conditions, send it to a queue, a person, a tag, or escalate it.

    Rules are tried in ``position`` order; the first that names a queue or assignee decides
    those, and every matching rule adds its tag.
    """

    class Match(models.TextChoices):
        ANY = "any", "any of the signals"
        ALL = "all", "all of the signals"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="routing_rules"
    )
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=100)
    is_enabled = models.BooleanField(default=True)
    signals = models.JSONField(
        default=list, blank=True, help_text='Signal names, e.g. ["question"].'
    )
    signal_match = models.CharField(max_length=3, choices=Match.choices, default=Match.ANY)
    keywords = models.JSONField(
        default=list, blank=True, help_text="Words or phrases, any of which must appear."
    )
    language = models.CharField(max_length=16, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Items on accounts of this unit (and the units below it).",
    )
    route_to = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routing_rules",
        help_text="The department queue that should answer.",
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tag = models.CharField(max_length=50, blank=True)
    escalate = models.BooleanField(
        default=False, help_text="Treat as urgent: bring to the top and flag for escalation."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The table keeps the name it had when triage owned routing, so moving it moved no data.
        db_table = "triage_routingrule"
        ordering = ["organization", "position", "pk"]

    def __str__(self) -> str:
        return self.name
