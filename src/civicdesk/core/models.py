from __future__ import annotations

from django.conf import settings
from django.db import models


class Organization(models.Model):
    """The agency: a school district, a police department, a city office."""

    class Kind(models.TextChoices):
        SCHOOL_DISTRICT = "school_district", "School district"
        POLICE = "police", "Police department"
        CITY = "city", "City or elected office"
        OTHER = "other", "Other public agency"

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.OTHER)
    time_zone = models.CharField(max_length=64, default="America/Chicago")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A part of the agency in its tree: district → schools, department → precincts, offices."""

    class Kind(models.TextChoices):
        DISTRICT = "district", "District"
        SCHOOL = "school", "School"
        DEPARTMENT = "department", "Department"
        PRECINCT = "precinct", "Precinct"
        OFFICE = "office", "Office"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Questions and complaints can be routed to this unit's queue.
    takes_routed_items = models.BooleanField(default=False)

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "parent", "name"], name="unit_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff member's role in one unit; it reaches every unit below it too."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        APPROVER = "approver", "Approver"
        EDITOR = "editor", "Editor"
        RESPONDER = "responder", "Responder"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="membership_one_role_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.unit}"


class AuditEvent(models.Model):
    """Who did what, when, to which object, from where. Written, never changed."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept apart from the foreign key so the log still says who it was if the user is renamed.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action}"


class OwedTask(models.Model):
    """A background task that must run, recorded in the same transaction as what makes it owed.

    The task queue is only the fast path: the scheduler sweeps these rows, enqueues what was never
    enqueued (a worker that died between commit and enqueue), what a dead worker abandoned (its
    lease ran out) and what failed (after a back-off), and gives up after ``max_attempts``,
    calling the task's give-up handler so the failure is shown, never left pending.
    """

    task_path = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    # Not before this time: now when owed, later after a failure (back-off).
    due_at = models.DateTimeField()
    # The queue's result id of the last enqueue; empty when nothing is queued.
    result_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # Set when a worker starts it; a lease that runs out means that worker is gone.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    # The queue's priority (-100 to 100): work that may concern someone's safety goes first.
    priority = models.SmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["gave_up_at", "due_at"], name="owed_task_due")]

    def __str__(self) -> str:
        return f"{self.task_path} #{self.pk} (attempt {self.attempts} of {self.max_attempts})"
