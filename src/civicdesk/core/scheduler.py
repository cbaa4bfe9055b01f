"""The scheduler: turns due times stored in the database into tasks.

Everything periodic is a row with a due time (``Account.next_poll_at`` …), so a restart loses
nothing, and claiming with a conditional update means two schedulers never enqueue twice.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from civicdesk.accounts.polling import claim_due_accounts
from civicdesk.accounts.tasks import poll_account
from civicdesk.archive.rechecks import claim_due, log_overdue
from civicdesk.archive.tasks import recapture_items
from civicdesk.archive.verify import seal_days

logger = logging.getLogger(__name__)


def run_due_work(*, seal: bool = True) -> dict[str, int]:
    """Enqueue whatever is due now; returns counts for the log."""
    polls = 0
    for account_id in claim_due_accounts():
        poll_account.enqueue(account_id=account_id)
        polls += 1
    recaptures = 0
    for account_id, item_ids in claim_due().items():
        recapture_items.enqueue(account_id=account_id, item_ids=item_ids)
        recaptures += 1
    sealed = seal_days(before=timezone.now().date()) if seal else 0
    if seal:
        log_overdue()
    return {"polls": polls, "recaptures": recaptures, "sealed_days": sealed}
