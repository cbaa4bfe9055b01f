from __future__ import annotations

from django_tasks import task

from civicdesk.core import owed

from . import health, polling
from .models import Account


@task()
def poll_account(*, account_id: int, lease_token: str | None = None) -> dict[str, int | str]:
    result = polling.poll_account(account_id=account_id, lease_token=lease_token)
    return {
        "pages": result.pages,
        "new_versions": result.report.new_versions,
        "new_items": len(result.report.created_item_ids),
        "error": result.error,
    }


@task()
def send_reconnect_notice(*, account_id: int, owed_id: int | None = None) -> int:
    account = Account.objects.select_related("unit", "custodian").get(pk=account_id)
    return owed.perform(owed_id, lambda: health.send_reconnect_notice(account=account)) or 0
