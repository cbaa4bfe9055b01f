from __future__ import annotations

from django_tasks import task

from . import polling


@task()
def poll_account(*, account_id: int) -> dict[str, int | str]:
    result = polling.poll_account(account_id=account_id)
    return {
        "pages": result.pages,
        "new_versions": result.report.new_versions,
        "new_items": len(result.report.created_item_ids),
        "error": result.error,
    }
