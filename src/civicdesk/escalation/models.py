"""Escalation: who is told about a threat, in what order, and what happened after."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from civicdesk.archive.models import Item
from civicdesk.core.models import Organization, Unit

from . import contacts


class Signal(models.TextChoices):
    THREAT = "threat", "Threat"
    SELF_HARM = "self_harm", "Self-harm"
    ROUTING = "routing", "Escalated by a routing rule"


class ContactMethod(models.Model):
    """One way to reach a person: an e-mail address, a mobile number or a chat webhook."""

    class Kind(models.TextChoices):
        EMAIL = contacts.EMAIL, "E-mail"
        SMS = contacts.SMS, "Text message"
        WEBHOOK_SLACK = "webhook_slack", "Slack webhook"
        WEBHOOK_TEAMS = "webhook_teams", "Microsoft Teams webhook"
        WEBHOOK_JSON = "webhook_json", "Signed JSON webhook"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    address = models.CharField(
        max_length=500,
        help_text="An e-mail address, a phone number such as +15125550143, or a URL.",
    )
    # Only a signed JSON webhook uses it: the receiver checks each request's signature with it.
    signing_secret = models.CharField(
        max_length=64, default=contacts.new_signing_secret, editable=False
    )
    is_active = models.BooleanField(default=True)
    last_failure = models.TextField(blank=True)

    class Meta:
        ordering = ["user", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"

    def clean(self) -> None:
        try:
            self.address = contacts.clean_address(self.kind, self.address)
        except ValidationError as exc:
            raise ValidationError({"address": exc.messages}) from exc


class OnCallRotation(models.Model):
    """People who take turns being on call, handing over daily or weekly at a local time."""

    class HandOff(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="on_call_rotations"
    )
    name = models.CharField(max_length=200)
    hand_off = models.CharField(max_length=8, choices=HandOff.choices, default=HandOff.WEEKLY)
    hand_off_time = models.TimeField(
        default=datetime.time(8, 0), help_text="Local time of the organization."
    )
    hand_off_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY, help_text="For weekly hand-offs."
    )
    starts_on = models.DateField(help_text="The first person in the list is on call from this day.")

    class Meta:
        ordering = ["organization", "name"]

    def __str__(self) -> str:
        return self.name


class RotationMember(models.Model):
    rotation = models.ForeignKey(OnCallRotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["rotation", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "position"], name="rotation_member_one_per_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.user}"


class RotationOverride(models.Model):
    """Someone else on call for a while: a swap, a holiday, a sick day."""

    rotation = models.ForeignKey(OnCallRotation, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["rotation", "starts_at"]

    def __str__(self) -> str:
        return f"{self.user} from {self.starts_at:%Y-%m-%d %H:%M}"


class EscalationPolicy(models.Model):
    """Whom to tell, level after level, when one signal is escalated in a unit.

    A unit without its own policy uses its parent's, and so on up to the organization-wide one
    (no unit).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="escalation_policies"
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_policies",
        help_text="Leave empty for the whole organization.",
    )
    signal = models.CharField(max_length=16, choices=Signal.choices)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["organization", "name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "unit", "signal"], name="policy_one_per_unit_and_signal"
            ),
            # NULLs are distinct in a unique index, so the organization-wide one needs its own.
            models.UniqueConstraint(
                fields=["organization", "signal"],
                condition=Q(unit__isnull=True),
                name="policy_one_organization_wide_per_signal",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PolicyLevel(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(default=1)
    wait_minutes = models.PositiveIntegerField(
        default=5, help_text="Minutes without an acknowledgement before the next level is told."
    )
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    rotations = models.ManyToManyField(OnCallRotation, blank=True, related_name="policy_levels")
    then_policy = models.ForeignKey(
        EscalationPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handed_over_from",
        help_text="On the last level only: hand over to this policy if nobody acknowledges.",
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="policy_level_position"),
        ]

    def __str__(self) -> str:
        return f"Level {self.position} of {self.policy}"


class Incident(models.Model):
    """An escalated item, the people told about it, and who took it on."""

    class Status(models.TextChoices):
        OPEN = "open", "Open, not acknowledged"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"
        FALSE_ALARM = "false_alarm", "False alarm"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="incidents")
    signal = models.CharField(max_length=16, choices=Signal.choices)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="incidents")
    reason = models.CharField(max_length=500, blank=True)
    # "account id:thread platform id" and "account id:author handle": later items join on these.
    thread_key = models.CharField(max_length=300, db_index=True)
    author_key = models.CharField(max_length=300, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_level = models.PositiveSmallIntegerField(default=0)
    # The timer the scheduler drives: when the next level is told unless someone acknowledges.
    next_level_at = models.DateTimeField(null=True, blank=True, db_index=True)
    evidence = models.JSONField(default=dict)
    evidence_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # The last guard against two workers opening two incidents for one item.
            models.UniqueConstraint(
                fields=["item", "signal"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="incident_open_once_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"Incident {self.pk}: {self.get_signal_display()} in {self.unit}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("escalation:incident", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.RESOLVED, self.Status.FALSE_ALARM)


class JoinedItem(models.Model):
    """A later item in the same thread or by the same author, frozen as it was when it joined."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="joined_items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    joined_at = models.DateTimeField()
    evidence = models.JSONField(default=dict)
    evidence_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["incident", "joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "item"], name="joined_item_once"),
        ]

    def __str__(self) -> str:
        return f"Item {self.item_id} in incident {self.incident_id}"


class Notification(models.Model):
    """One message to one person through one contact method, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will try again"
        GAVE_UP = "gave_up", "Not sent"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    level = models.PositiveSmallIntegerField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    contact_method = models.ForeignKey(
        ContactMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The contact method's kind when it was sent, kept if the method is later removed.
    channel = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A repeat of the same alert to the same address is a no-op: a retry never pages twice.
    idempotency_key = models.CharField(max_length=100, unique=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "created_at", "pk"]

    def __str__(self) -> str:
        return f"Level {self.level} alert to {self.recipient} ({self.channel or 'no channel'})"


class Acknowledgement(models.Model):
    class Channel(models.TextChoices):
        LINK = "link", "Link in the alert"
        WEB = "web", "Civic Desk"
        SMS_REPLY = "sms_reply", "Text message reply"

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    at = models.DateTimeField()
    via = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["incident", "at", "pk"]

    def __str__(self) -> str:
        return f"Acknowledged by {self.user or 'someone'} at {self.at:%Y-%m-%d %H:%M}"


class IncidentNote(models.Model):
    """A note by a person, or by Civic Desk itself (no author) when something went unsaid."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["incident", "at", "pk"]

    def __str__(self) -> str:
        return f"Note on incident {self.incident_id} at {self.at:%Y-%m-%d %H:%M}"
