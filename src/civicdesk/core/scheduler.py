"""The scheduler: turns due times stored in the database into tasks.

Everything periodic is a row with a due time (``Account.next_poll_at`` …), so a restart loses
nothing, and claiming with a conditional update means two schedulers never enqueue twice.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from civicdesk.accounts.polling import claim_due_accounts
from civicdesk.accounts.tasks import poll_account
from civicdesk.archive.anchor_delivery import claim_anchor_delivery
from civicdesk.archive.partitions import ensure_month_partitions
from civicdesk.archive.rechecks import claim_due, log_overdue
from civicdesk.archive.sealing import seal_archive
from civicdesk.archive.tasks import recapture_items
from civicdesk.core import owed
from civicdesk.escalation import delivery, incidents
from civicdesk.escalation.tasks import send_alerts

logger = logging.getLogger(__name__)


def run_due_work(
    *, seal: bool = True, sweep: bool = True, partition: bool = True
) -> dict[str, int]:
    """Enqueue whatever is due now, seal the archive if ``seal``, and create the archive's
    monthly partitions still missing if ``partition``; returns counts for the log."""
    polls = 0
    for account_id, token in claim_due_accounts().items():
        try:
            poll_account.enqueue(account_id=account_id, lease_token=token)
        except Exception:  # noqa: BLE001 - queue down: the lease runs out and the poll is due again
            logger.exception("Could not enqueue a poll of account %s.", account_id)
            continue
        polls += 1
    recaptures = 0
    for account_id, item_ids in claim_due().items():
        recapture_items.enqueue(account_id=account_id, item_ids=item_ids)
        recaptures += 1
    swept = owed.sweep() if sweep else {"enqueued": 0}
    seals = len(seal_archive()) if seal else 0
    if seal:
        log_overdue()
    claim_anchor_delivery(today=timezone.now().date())
    months = len(ensure_month_partitions().created) if partition else 0
    levels = incidents.advance_due()
    alerts = delivery.claim_due()
    if alerts:
        try:
            owed.prioritized(send_alerts, owed.URGENT).enqueue(notification_ids=alerts)
        except Exception:  # noqa: BLE001 - queue down: the claims run out and are made again
            logger.exception("Could not enqueue %d alerts.", len(alerts))
    return {
        "levels told": levels,
        "alerts": len(alerts),
        "polls": polls,
        "recaptures": recaptures,
        "seals": seals,
        "retried": swept["enqueued"],
        "partitions": months,
    }
