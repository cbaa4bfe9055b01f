from __future__ import annotations

from django_tasks import task

from . import anchor_delivery
from .models import AnchorDelivery


@task()
def send_anchors(*, delivery_id: int) -> int:
    return anchor_delivery.send_anchors(delivery=AnchorDelivery.objects.get(pk=delivery_id))
