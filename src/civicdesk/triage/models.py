from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from civicdesk.archive.models import Item, ItemVersion
from civicdesk.core.models import Organization, Unit


class Assessment(models.Model):
    """What triage said about one archived version, and with which model: re-scoring after a
    model update adds a new assessment, so every past decision stays auditable."""

    class Status(models.TextChoices):
        SCORED = "scored", "Triaged"
        FAILED = "failed", "Not triaged"

    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="assessments")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="assessments")
    model_version = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    # Per signal: score, positive, threshold, reason, and label for sentiment and emotion.
    signals = models.JSONField(default=dict)
    language = models.CharField(max_length=16, blank=True)
    priority = models.PositiveSmallIntegerField(default=9)
    priority_label = models.CharField(max_length=100, blank=True)
    assessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "model_version"], name="assessment_once_per_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} v{self.version_id} ({self.model_version})"

    @property
    def positive_signals(self) -> list[tuple[str, dict[str, Any]]]:
        return [(name, s) for name, s in self.signals.items() if s.get("positive")]


class SignalThreshold(models.Model):
    """An organization's own decision threshold for a signal (defaults come with the model)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="signal_thresholds"
    )
    signal = models.CharField(max_length=32)
    threshold = models.FloatField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "signal"], name="threshold_one_per_signal"
            ),
            models.CheckConstraint(
                condition=models.Q(threshold__gte=0) & models.Q(threshold__lte=1),
                name="threshold_in_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.signal} ≥ {self.threshold:.2f}"


class Correction(models.Model):
    """Staff said a signal was wrong, or an item belonged elsewhere: a label for retraining."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="corrections")
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="+")
    signal = models.CharField(max_length=32, blank=True)
    # "1"/"0" for a yes/no signal, the class for sentiment and emotion, "" for a re-route.
    label = models.CharField(max_length=32, blank=True)
    routed_to = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.signal or 'route'} → {self.label or self.routed_to} on item {self.item_id}"
