"""Owed work is done even when the worker or the queue lets it down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from civicdesk.archive.ingest import store_records
from civicdesk.core import owed
from civicdesk.core.models import OwedTask
from civicdesk.inbox.intake import receive
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import AccountFactory, record
from civicdesk.triage.models import Assessment
from civicdesk.triage.tasks import assess_versions

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_grace(settings, flushable_archive):
    settings.OWED_TASK_GRACE_SECONDS = 0
    settings.TASK_BACKEND = "database"


def ingest(n=3):
    account = AccountFactory.create()
    with transaction.atomic():
        report = store_records(
            account=account,
            records=[record(f"c{i}", f"Is the pool open on day {i}?") for i in range(n)],
            source="poll",
        )
        receive(items=report.created_items)
    return report


def run_worker():
    call_command(
        "db_worker", batch=True, queue_name="*", reload=False, startup_delay=False, verbosity=0
    )


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def test_new_versions_owe_a_triage_that_is_enqueued_and_done():
    ingest()
    work = OwedTask.objects.get()
    assert work.task_path == "civicdesk.triage.tasks.assess_versions"
    assert work.result_id, "enqueued once the versions committed"
    run_worker()
    assert not OwedTask.objects.exists()
    assert set(Entry.objects.values_list("triage_status", flat=True)) == {"scored"}


def test_a_triage_never_enqueued_is_found_and_enqueued_by_the_sweep(monkeypatch):
    def queue_down(*args, **kwargs):
        raise ConnectionError("queue unreachable")

    from django_tasks_db.backend import DatabaseBackend

    monkeypatch.setattr(DatabaseBackend, "enqueue", queue_down)
    ingest()
    monkeypatch.undo()
    assert not DBTaskResult.objects.exists()
    assert Entry.objects.filter(triage_status="pending").count() == 3
    assert owed.sweep()["enqueued"] == 1
    run_worker()
    assert set(Entry.objects.values_list("triage_status", flat=True)) == {"scored"}


def test_queued_work_is_left_alone_however_long_it_waits():
    ingest()
    assert owed.sweep(now=later(3600))["enqueued"] == 0
    assert DBTaskResult.objects.count() == 1


def test_work_a_dead_worker_took_from_the_queue_but_never_started_is_retried(settings):
    ingest()
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert owed.sweep()["enqueued"] == 0, "a worker may be about to start it"
    assert owed.sweep(now=later(settings.OWED_TASK_LEASE_SECONDS + 1))["abandoned"] == 1
    run_worker()
    assert set(Entry.objects.values_list("triage_status", flat=True)) == {"scored"}


def test_work_abandoned_mid_run_is_retried_after_its_lease(settings):
    ingest()
    # As a worker that died while assessing: claimed, never finished.
    OwedTask.objects.update(lease_until=timezone.now() + timedelta(seconds=5), attempts=1)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert owed.sweep()["enqueued"] == 0, "its lease still runs"
    counts = owed.sweep(now=later(6))
    assert counts["abandoned"] == counts["enqueued"] == 1
    run_worker()
    assert Assessment.objects.count() == 3
    assert not OwedTask.objects.exists()


def test_the_queues_abandoned_running_records_are_closed(settings):
    ingest()
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    settings.TASK_ABANDONED_AFTER_SECONDS = 3600
    owed.sweep()
    closed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
    assert closed.count() == 1
    assert "stopped" in closed.get().traceback


def test_a_failing_task_backs_off_then_is_given_up_and_shown(monkeypatch):
    ingest()

    def broken(*, version_ids):
        raise RuntimeError("database went away")

    monkeypatch.setattr("civicdesk.triage.assess.assess_versions", broken)
    work = OwedTask.objects.get()
    for attempt in range(1, work.max_attempts + 1):
        run_worker()
        work.refresh_from_db()
        assert work.attempts == attempt
        assert "database went away" in work.last_error
        assert work.due_at > timezone.now(), "backs off before the next try"
        owed.sweep(now=work.due_at + timedelta(seconds=1))
    assert work.attempts == work.max_attempts
    work.refresh_from_db()
    assert work.gave_up_at is not None
    entries = Entry.objects.all()
    assert {e.triage_status for e in entries} == {"failed"}
    assert all("database went away" in e.triage_error for e in entries)
    assert all("after 5 attempts" in e.triage_error for e in entries)


def test_a_copy_of_owed_work_runs_once():
    ingest()
    work = OwedTask.objects.get()
    assess_versions.enqueue(owed_id=work.pk, **work.kwargs)  # a duplicate enqueue
    run_worker()
    assert Assessment.objects.count() == 3
    assert not OwedTask.objects.exists()


def test_owing_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        owed.owe(assess_versions, version_ids=[1])


def test_in_a_backlog_posts_that_may_threaten_someone_are_triaged_first():
    account = AccountFactory.create()
    with transaction.atomic():
        report = store_records(
            account=account,
            records=[
                record("c1", "Is the pool open on Sunday?"),
                record("c2", "I'm bringing a gun to the pool on Sunday"),
                record("c3", "Great swim meet today!"),
            ],
            source="poll",
        )
        receive(items=report.created_items)
    urgent = OwedTask.objects.get(priority=owed.URGENT)
    assert len(urgent.kwargs["version_ids"]) == 1
    assert OwedTask.objects.get(priority=0).kwargs["version_ids"] != urgent.kwargs["version_ids"]
    assert DBTaskResult.objects.get(pk=urgent.result_id).priority == owed.URGENT
    run_worker()
    first = Assessment.objects.order_by("pk").first()
    assert first is not None
    assert first.item.platform_id == "c2"
    assert first.priority == 1
