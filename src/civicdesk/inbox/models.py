from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Value

from civicdesk.accounts.models import Account
from civicdesk.archive.models import Item
from civicdesk.core.models import Unit
from civicdesk.triage.labels import signal_label
from civicdesk.triage.priority import POSSIBLE_THREAT, is_explicit

if TYPE_CHECKING:
    from civicdesk.escalation.models import Incident

POSSIBLE_BADGES = {"threat": "Possible threat", "self_harm": "Possible self-harm"}


def flagged_badge(name: str, signal: dict[str, Any]) -> tuple[str, str]:
    """(style, words) for a positive signal as an assessment stored it.

    A threat or self-harm short of "act now" reads "Possible …", as its inbox row does.
    """
    explicit = is_explicit(
        name,
        positive=True,
        score=float(signal.get("score", 0.0)),
        rule_score=float(signal.get("rule_score", 0.0)),
    )
    if name in POSSIBLE_BADGES and not explicit:
        return "possible-threat", POSSIBLE_BADGES[name]
    return name, signal_label(name)


class Entry(models.Model):
    """An incoming item waiting for staff: its place in the inbox and how far it has got."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="inbox_entry")
    # Copied from the item so the inbox lists without joining through accounts and units.
    # Not indexed alone: the indexes in Meta start with them.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    platform = models.CharField(max_length=16)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class TriageStatus(models.TextChoices):
        PENDING = "pending", "Being triaged"
        SCORED = "scored", "Triaged"
        FAILED = "failed", "Not triaged"

    triage_status = models.CharField(
        max_length=10, choices=TriageStatus.choices, default=TriageStatus.PENDING
    )
    triage_error = models.TextField(blank=True)
    # 1 is most urgent (threats, self-harm); see civicdesk.triage.priority.
    priority = models.PositiveSmallIntegerField(default=5)
    # Written by the database: the priority counted downwards, so that the inbox's order (most
    # urgent first, then newest) runs one way on every column and a page can start right after
    # the last entry shown with one comparison the index answers (see civicdesk.inbox.pages).
    urgency = models.GeneratedField(
        expression=Value(0) - F("priority"),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    priority_label = models.CharField(max_length=100, blank=True)
    signal_badges = models.JSONField(default=list, blank=True)
    # The department queue a routing rule (or a person) sent it to, besides its account's unit.
    queue = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    queue_is_manual = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    route_reason = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-received_at", "-pk"]
        # Each way the inbox is listed (see civicdesk.inbox.listing) reads one of these in order:
        # the whole inbox, one unit's, one queue's, one account's or the entries triage failed
        # on, by urgency or by time. A page is a range of one or several of them, never a sort.
        indexes = [
            models.Index(
                fields=[*prefix, "status", *order, "id"], name=f"inbox_{name}_by_{order_name}"
            )
            for name, prefix in [
                ("all", []),
                ("unit", ["unit"]),
                ("queue", ["queue", "unit"]),
                ("account", ["account"]),
                ("triage", ["triage_status"]),
            ]
            for order_name, order in [
                ("urgency", ["urgency", "received_at"]),
                ("time", ["received_at"]),
            ]
        ]

    # Set on the rows the inbox lists: the incident the item was escalated in, if any.
    incident: Incident | None = None

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.item}"

    @property
    def badges(self) -> list[tuple[str, str]]:
        """(style, words) for each signal badge; a threat or self-harm for review says so."""
        possible = self.priority == POSSIBLE_THREAT.rank
        return [
            ("possible-threat", POSSIBLE_BADGES[name])
            if possible and name in POSSIBLE_BADGES
            else (name, signal_label(name))
            for name in self.signal_badges
        ]
