"""Real workers killed with SIGKILL at random moments: nothing lost, nothing doubled, all triaged.

The short form of ``benchmarks/chaos.py``: a replay with edits and deletions arriving while
workers are killed, on SQLite with one worker, on PostgreSQL with two, and on Redis (RQ).
"""

from __future__ import annotations

import pytest
import redis
from django.db import connection

from civicdesk.testing.chaos import ChaosPlan, run

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def short_plan(**fields):
    return ChaosPlan(
        accounts=2,
        items=2_400,
        arrival_seconds=14,
        kills=12,
        kill_every=(0.4, 1.6),
        drain_timeout=240,
        **fields,
    )


def assert_clean(report):
    assert report.drained, "the work did not drain after the kills"
    assert report.kills == 12
    assert (report.lost_items, report.lost_versions, report.extra_versions) == (0, 0, 0)
    assert report.wrong_history == []
    assert report.archived_versions == report.expected_versions
    assert report.never_triaged == 0, "every item from the public was triaged"
    assert report.not_triaged == 0
    assert report.archive_intact, report.archive_problems


def assert_tampering_found(report):
    assert report.tamperings >= 30
    assert report.tamperings_missed == []


def test_killed_workers_lose_and_double_nothing(tmp_path, flushable_archive):
    workers = 1 if connection.vendor == "sqlite" else 2
    report = run(plan=short_plan(workers=workers), workdir=tmp_path)
    assert_clean(report)
    assert_tampering_found(report)


@pytest.mark.redis
def test_killed_rq_workers_lose_and_double_nothing(tmp_path, flushable_archive):
    url = "redis://127.0.0.1:6379/5"
    redis.Redis.from_url(url).flushdb()
    report = run(
        plan=short_plan(workers=2, backend="rq"),
        workdir=tmp_path,
        extra_env={"CIVICDESK_REDIS_URL": url},
        tamper=False,
    )
    assert_clean(report)
