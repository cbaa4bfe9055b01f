"""Background work of escalation: open incidents for escalated items, and send their alerts."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from civicdesk.archive.models import Item
from civicdesk.core import owed

from . import delivery, incidents


@task()
def escalate_items(*, escalations: list[dict[str, Any]], owed_id: int | None = None) -> int:
    """Open (or join) an incident for each escalated item, then send its first alerts at once."""
    return owed.perform(owed_id, lambda: _escalate(escalations)) or 0


def _escalate(escalations: list[dict[str, Any]]) -> int:
    opened = 0
    for wanted in escalations:
        item = Item.objects.select_related("account__unit").filter(pk=wanted["item_id"]).first()
        if item is None:
            continue
        incident, created = incidents.open_or_join(
            item=item, signal=wanted["signal"], reason=wanted.get("reason", "")
        )
        opened += created
        for pk in delivery.alerts_of(incident):
            delivery.send(pk)
    return opened


@task()
def send_alerts(*, notification_ids: list[int]) -> dict[str, int]:
    """Send the alerts the scheduler claimed: retries, and the levels it has just told."""
    counts: dict[str, int] = {}
    for pk in notification_ids:
        result = delivery.send(pk, claimed=True)
        counts[result] = counts.get(result, 0) + 1
    return counts
