"""An organization's own signal thresholds, each change with its audit event."""

from __future__ import annotations

import math

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest

from civicdesk.core import audit
from civicdesk.core.models import Organization

from .models import SignalThreshold


@transaction.atomic
def set_threshold(
    *,
    organization: Organization,
    signal: str,
    threshold: float,
    by: User,
    request: HttpRequest | None = None,
) -> SignalThreshold:
    """Flag ``signal`` for the organization's items from ``threshold`` on.

    Raises ValueError for a threshold outside [0, 1] or not a number; the threshold and its audit
    event are written together or not at all.
    """
    if not math.isfinite(threshold) or not 0.0 <= threshold <= 1.0:
        raise ValueError("Enter a threshold between 0 and 1, such as 0.75.")
    row, _ = SignalThreshold.objects.update_or_create(
        organization=organization,
        signal=signal,
        defaults={"threshold": threshold, "changed_by": by},
    )
    audit.record(
        "triage.threshold_changed",
        target=organization,
        by=by,
        request=request,
        signal=signal,
        threshold=threshold,
    )
    return row
