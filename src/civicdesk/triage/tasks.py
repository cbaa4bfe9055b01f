from __future__ import annotations

from django_tasks import task

from . import assess


@task()
def assess_versions(*, version_ids: list[int]) -> dict[str, int]:
    return assess.assess_versions(version_ids=version_ids)
