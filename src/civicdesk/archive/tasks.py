from __future__ import annotations

from django_tasks import task

from civicdesk.core import owed

from . import anchor_delivery, recapture
from .models import AnchorDelivery


@task()
def send_anchors(*, delivery_id: int, owed_id: int | None = None) -> int:
    delivery = AnchorDelivery.objects.get(pk=delivery_id)
    return owed.perform(owed_id, lambda: anchor_delivery.send_anchors(delivery=delivery)) or 0


@task()
def recapture_items(*, account_id: int, item_ids: list[int]) -> dict[str, int | str]:
    report = recapture.recapture(account_id=account_id, item_ids=item_ids)
    return {
        "calls": report.calls,
        "checked": report.checked,
        "deferred": report.deferred,
        "late": report.late,
        "new_versions": report.new_versions,
        "deletions": report.deletions,
        "error": report.error,
    }
