"""What the inbox shows of escalation: the incident each listed item belongs to."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Incident, JoinedItem


def incidents_by_item(item_ids: Iterable[int]) -> dict[int, Incident]:
    """The latest incident each item opened or joined; two queries for a whole page."""
    wanted = list(item_ids)
    found: dict[int, Incident] = {}
    for incident in Incident.objects.filter(item_id__in=wanted).order_by("opened_at", "pk"):
        found[incident.item_id] = incident
    joined = (
        JoinedItem.objects.filter(item_id__in=wanted)
        .select_related("incident")
        .order_by("joined_at", "pk")
    )
    for link in joined:
        if link.item_id not in found or found[link.item_id].opened_at < link.incident.opened_at:
            found[link.item_id] = link.incident
    return found
