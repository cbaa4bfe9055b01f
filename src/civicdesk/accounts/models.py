from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

from civicdesk.connectors.base import Platform
from civicdesk.core.models import Organization, Unit

from . import credentials as vault


class AccountQuerySet(models.QuerySet["Account"]):
    def due_for_poll(self, now: Any) -> AccountQuerySet:
        return self.filter(
            status__in=[Account.Status.ACTIVE],
            next_poll_at__lte=now,
        ).filter(models.Q(poll_lease_until__isnull=True) | models.Q(poll_lease_until__lt=now))


class Account(models.Model):
    """One official account on one platform, owned by a unit."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        PAUSED = "paused", "Paused"
        ERROR = "error", "Error"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="accounts"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="accounts")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    handle = models.CharField(
        max_length=200, help_text="The account's handle, page id or feed URL."
    )
    # The platform's own id for the account (Page id, user id, DID), set when it is connected:
    # handles change and some servers write the same handle two ways, ids do not.
    platform_account_id = models.CharField(max_length=200, blank=True, editable=False)
    display_name = models.CharField(max_length=200)
    url = models.URLField(blank=True)
    # Who holds the keys: the staff member answerable for this account's login.
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    encrypted_credentials = models.TextField(blank=True, editable=False)
    credentials_hint = models.CharField(max_length=300, blank=True, editable=False)
    # Connector settings that are not secret (API version, instance URL, replay file).
    options = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    cursor = models.CharField(max_length=500, blank=True, editable=False)
    poll_interval = models.PositiveIntegerField(default=60, help_text="Seconds between polls.")
    next_poll_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set while a worker polls; if the worker dies the lease runs out and the poll is retried.
    poll_lease_until = models.DateTimeField(null=True, blank=True)
    # Who holds the lease: only that poll may commit pages and move the cursor.
    poll_lease_token = models.CharField(max_length=32, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "unit__name", "platform", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "handle"], name="account_unique_platform_handle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_platform_display()})"

    def set_credentials(self, values: dict[str, Any]) -> None:
        self.encrypted_credentials = vault.encrypt(values)
        self.credentials_hint = vault.hint(values)

    def get_credentials(self) -> dict[str, Any]:
        """Decrypted credentials; only a connector should ask for these."""
        return vault.decrypt(self.encrypted_credentials)

    def is_author_of(self, *, author_platform_id: str, author_handle: str) -> bool:
        """Whether an item with this author was posted by this account.

        Ids decide when both are known. Otherwise handles are compared without case or ``@``;
        on Mastodon ``agency@host`` is the same account as ``agency`` when ``host`` is the
        account's own instance, as some servers write local accounts that way.
        """
        if self.platform_account_id and author_platform_id:
            return author_platform_id == self.platform_account_id
        own = self._bare_handle(self.handle)
        return bool(own) and self._bare_handle(author_handle) == own

    def _bare_handle(self, handle: str) -> str:
        handle = handle.strip().lstrip("@").lower()
        if self.platform == Platform.MASTODON and "@" in handle:
            user, _, host = handle.partition("@")
            own_host = (urlsplit(str(self.options.get("instance", ""))).hostname or "").lower()
            if host == own_host:
                return user
        return handle
