from __future__ import annotations

from typing import Any

from django_tasks import task

from civicdesk.core import owed

from . import assess


@task()
def assess_versions(*, version_ids: list[int], owed_id: int | None = None) -> dict[str, int]:
    return owed.perform(owed_id, lambda: assess.assess_versions(version_ids=version_ids)) or {}


@owed.on_give_up(assess_versions)
def _not_triaged(kwargs: dict[str, Any], error: str) -> None:
    assess.mark_not_triaged(version_ids=kwargs["version_ids"], error=error)
