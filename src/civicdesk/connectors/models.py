from __future__ import annotations

from django.db import models


class WebhookDelivery(models.Model):
    """A delivery a platform pushed to us, kept as received: evidence, and the replay check.

    Signed deliveries are kept whether accepted or refused; unsigned ones are not kept.

    The unique delivery id (the SHA-256 of the body for Meta) makes a replayed delivery fail
    to insert, whichever web worker receives it.
    """

    platform = models.CharField(max_length=16)
    delivery_id = models.CharField(max_length=200, unique=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    body = models.TextField()
    accounts_nudged = models.PositiveIntegerField(default=0)
    # Why a signed delivery was refused (stale, undatable, malformed); "" when it was accepted.
    refused_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.platform} delivery {self.delivery_id[:12]}"
