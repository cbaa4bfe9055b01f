from __future__ import annotations

from django_tasks import task

from . import health, polling
from .models import Account


@task()
def poll_account(*, account_id: int) -> dict[str, int | str]:
    result = polling.poll_account(account_id=account_id)
    return {
        "pages": result.pages,
        "new_versions": result.report.new_versions,
        "new_items": len(result.report.created_items),
        "error": result.error,
    }


@task()
def send_reconnect_notice(*, account_id: int) -> int:
    return health.send_reconnect_notice(
        account=Account.objects.select_related("unit", "custodian").get(pk=account_id)
    )
