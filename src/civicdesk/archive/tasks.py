from __future__ import annotations

from django_tasks import task

from . import recapture


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
