"""The queues an item can be sent to by hand."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civicdesk.archive.models import Item
from civicdesk.core.models import Unit


def queues_for(item: Item, *, current: int | None = None) -> QuerySet[Unit]:
    """Every unit of the item's organization that takes routed items, seen by this person or not,
    and the queue the item is in now (``current``), so it stays a choice.

    The account's own unit is left out: sending an item there is sending it back.
    """
    wanted = Q(takes_routed_items=True)
    if current is not None:
        wanted |= Q(pk=current)
    return (
        Unit.objects.filter(wanted, organization_id=item.account.organization_id)
        .exclude(pk=item.account.unit_id)
        .order_by("name")
    )
