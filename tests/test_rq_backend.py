"""Background work runs unchanged on the Redis-backed queue (RQ)."""

from __future__ import annotations

import django_rq
import pytest
from django.contrib import admin
from django_tasks import TaskResultStatus
from django_tasks_rq import Job
from rq import SimpleWorker

from civicdesk.accounts.models import Account
from civicdesk.accounts.tasks import poll_account
from civicdesk.archive.models import Item
from civicdesk.core.scheduler import run_due_work
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import replay_account, write_replay

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

# A database of its own, so the test never touches a real deployment's queues.
TEST_REDIS = "redis://127.0.0.1:6379/13"


@pytest.fixture
def rq_apps(settings):
    """django_rq installed for one test; its admin pages leave with it, or the admin index of
    every later test would list an app that is no longer installed."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    yield
    for model in [m for m in admin.site._registry if m._meta.app_label == "django_rq"]:
        admin.site.unregister(model)


@pytest.fixture
def rq_queue(settings, rq_apps):
    settings.RQ_QUEUES = {"default": {"URL": TEST_REDIS, "DEFAULT_TIMEOUT": 60}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    queue = django_rq.get_queue("default")
    queue.connection.flushdb()
    yield queue
    queue.connection.flushdb()


def run_worker(queue) -> None:
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)


def test_a_poll_enqueued_by_the_scheduler_runs_on_an_rq_worker(
    rq_queue, tmp_path, django_capture_on_commit_callbacks
):
    feed = write_replay(
        tmp_path / "feed.jsonl",
        [
            {"id": f"c{n}", "kind": "comment", "text": f"comment {n}", "offset_s": -100 + n}
            for n in range(25)
        ],
    )
    account = replay_account(feed)
    assert run_due_work(seal=False)["polls"] == 1
    assert rq_queue.count == 1
    run_worker(rq_queue)
    assert Item.objects.count() == 25
    assert Entry.objects.count() == 25
    assert Account.objects.get(pk=account.pk).poll_lease_until is None


def test_a_task_result_can_be_read_back_from_redis(rq_queue, tmp_path):
    account = replay_account(
        write_replay(tmp_path / "feed.jsonl", [{"id": "c1", "text": "hi", "offset_s": -1}])
    )
    result = poll_account.enqueue(account_id=account.pk)
    run_worker(rq_queue)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"pages": 1, "new_versions": 1, "new_items": 1, "error": ""}


def test_posts_that_may_threaten_someone_go_to_the_urgent_queue_first(
    settings, rq_apps, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from civicdesk.archive.ingest import store_records
    from civicdesk.testing.factories import AccountFactory, record
    from civicdesk.triage.models import Assessment

    settings.RQ_QUEUES = {
        name: {"URL": TEST_REDIS, "DEFAULT_TIMEOUT": 60} for name in ("urgent", "default")
    }
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["urgent", "default"]}
    }
    urgent, default = django_rq.get_queue("urgent"), django_rq.get_queue("default")
    urgent.connection.flushdb()
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            store_records(
                account=AccountFactory.create(),
                records=[
                    record("c1", "What time does the game start?"),
                    record("c2", "I'm going to shoot the coach after the game"),
                ],
                source="poll",
            )
        assert (urgent.count, default.count) == (1, 1)
        SimpleWorker([urgent, default], connection=urgent.connection, job_class=Job).work(
            burst=True
        )
        first = Assessment.objects.order_by("pk").first()
        assert first is not None and first.item.platform_id == "c2"
    finally:
        urgent.connection.flushdb()
