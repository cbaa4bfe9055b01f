"""Owed work: background tasks that must happen, whatever becomes of the worker that ran them.

Work that has to happen (triaging every new version, telling a custodian an account needs
reconnecting, and every alert and publish after them) is recorded as an :class:`OwedTask` row in
the same transaction as the data that makes it owed, then enqueued once that commits. The task
queue is only the fast path. The scheduler calls :func:`sweep` on every turn, and it re-enqueues:

- work that was never enqueued (the process died between the commit and the enqueue, or the
  queue was unreachable);
- work a dead worker abandoned: its lease ran out while it ran, or the queue says a worker took
  it and it never started here;
- work that failed, after a back-off;

and after ``max_attempts`` it gives up and calls the task's give-up handler, so that the failure
is shown (an item marked "not triaged"), never left pending.

Periodic work (account polls, archive seals) is the other half of the same idea: a due time
stored on its own row and a lease claimed by whoever runs it (``Account.next_poll_at`` and
``poll_lease_until``), swept by the same scheduler.

A task that is owed takes an ``owed_id`` keyword and runs its body through :func:`perform`, which
claims the row (so two copies never run at once), and removes it when the body returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks.exceptions import TaskResultDoesNotExist

from .models import OwedTask

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Called with the task's keyword arguments and the last error when the work is given up.
GiveUpHandler = Callable[[dict[str, Any], str], None]
_give_up_handlers: dict[str, GiveUpHandler] = {}


class WorkerLost(Exception):
    """The worker running a task stopped before the task finished."""


def lease() -> timedelta:
    return timedelta(seconds=settings.OWED_TASK_LEASE_SECONDS)


def grace() -> timedelta:
    # How long an enqueue may take to show up in the queue before the sweeper looks again.
    return timedelta(seconds=settings.OWED_TASK_GRACE_SECONDS)


def on_give_up(task: Task[Any, Any]) -> Callable[[GiveUpHandler], GiveUpHandler]:
    """Register what to do when ``task`` cannot be done after all its attempts."""

    def register(handler: GiveUpHandler) -> GiveUpHandler:
        _give_up_handlers[task.module_path] = handler
        return handler

    return register


def owe(
    task: Task[P, T], /, *, max_attempts: int = 5, priority: int = 0, **kwargs: Any
) -> OwedTask:
    """Record that ``task`` must run with ``kwargs``; it is enqueued when the caller commits.

    Must run inside the transaction that makes the work owed, so that both commit or neither.
    ``priority`` orders a backlog (higher first; ``URGENT`` jumps the queue on every backend).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("owe() must run inside the transaction that makes the work owed.")
    work = OwedTask.objects.create(
        task_path=task.module_path,
        kwargs=kwargs,
        due_at=timezone.now(),
        max_attempts=max_attempts,
        priority=priority,
    )
    # robust: a queue that is down must not fail the commit; the sweeper enqueues it later.
    transaction.on_commit(lambda: _enqueue(work.pk, task, kwargs, priority), robust=True)
    return work


URGENT = 100  # the highest priority django-tasks allows
URGENT_QUEUE = "urgent"


def prioritized(task: Task[P, T], priority: int) -> Task[P, T]:
    """``task`` set to run at ``priority`` on whichever backend is configured."""
    backend = task.get_backend()
    if backend.supports_priority:
        return task.using(priority=priority)
    if priority >= URGENT and URGENT_QUEUE in backend.queues:
        # Redis queues have no priorities: urgent work has its own queue, which workers empty
        # before the default one.
        return task.using(queue_name=URGENT_QUEUE)
    return task


def _enqueue(owed_id: int, task: Task[Any, Any], kwargs: dict[str, Any], priority: int) -> None:
    chosen: Task[Any, Any] = prioritized(task, priority)
    result = chosen.enqueue(owed_id=owed_id, **kwargs)
    # Only a row still waiting gets the id: an immediate backend may already have finished it.
    OwedTask.objects.filter(pk=owed_id, lease_until__isnull=True, result_id="").update(
        result_id=str(result.id), enqueued_at=timezone.now()
    )


def perform(owed_id: int | None, run: Callable[[], T]) -> T | None:
    """Run an owed task's body once: claim its row, run, and remove the row when done.

    Returns None without running when the work is already done or running elsewhere. A body
    that raises leaves the row to be retried after a back-off (or given up by the sweeper).
    """
    if owed_id is None:  # called directly, not as owed work
        return run()
    now = timezone.now()
    claimed = (
        OwedTask.objects.filter(pk=owed_id, gave_up_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + lease(), attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    try:
        value = run()
    except Exception as exc:
        work = OwedTask.objects.get(pk=owed_id)
        OwedTask.objects.filter(pk=owed_id).update(
            lease_until=None,
            result_id="",
            due_at=timezone.now() + _backoff(work.attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    OwedTask.objects.filter(pk=owed_id).delete()
    return value


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 3600))


def _on_database_queue() -> bool:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def _queue_states(works: list[OwedTask], now: datetime) -> dict[int, str]:
    """'queued', 'running' or 'lost' for each row's last enqueue, as the task queue knows it."""
    found: dict[str, tuple[str | None, datetime | None]] = {}
    if _on_database_queue():
        from django_tasks_db.models import DBTaskResult

        for result_id, status, started_at in DBTaskResult.objects.filter(
            id__in=[w.result_id for w in works]
        ).values_list("id", "status", "started_at"):
            found[str(result_id)] = (status, started_at)
    else:
        for work in works:
            try:
                task: Task[Any, Any] = import_string(work.task_path)
                result = task.get_backend().get_result(work.result_id)
            except (TaskResultDoesNotExist, ImportError, ValueError, NotImplementedError):
                continue  # unknown to the queue (an immediate backend keeps no results)
            found[work.result_id] = (result.status, result.started_at)
    states: dict[int, str] = {}
    for work in works:
        state, started_at = found.get(work.result_id) or (None, None)
        if state == TaskResultStatus.READY:
            states[work.pk] = "queued"
        elif state == TaskResultStatus.RUNNING:
            # Taken by a worker that has not claimed the row yet: fine for a moment, not a lease.
            started = started_at or work.enqueued_at or now
            states[work.pk] = "running" if now - started < lease() else "lost"
        else:  # unknown to the queue, or finished without removing the row (crashed before claim)
            states[work.pk] = "lost"
    return states


def sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Enqueue owed work that is due and not queued or running; give up what has run out of tries."""
    now = now or timezone.now()
    counts = {"enqueued": 0, "abandoned": 0, "gave_up": 0}
    due = list(
        OwedTask.objects.filter(gave_up_at__isnull=True, due_at__lte=now - grace())
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - grace()))[:limit]
    )
    waiting = [w for w in due if w.lease_until is None and w.result_id]
    states = _queue_states(waiting, now) if waiting else {}
    for work in due:
        was_running = work.lease_until is not None
        if states.get(work.pk, "lost") != "lost":
            continue
        if was_running or work.result_id:
            counts["abandoned"] += 1
            logger.warning("%s was abandoned by its worker; trying again.", work)
        error = work.last_error or "The worker running it stopped before it finished."
        if work.attempts >= work.max_attempts:
            _give_up(work, error=error, now=now)
            counts["gave_up"] += 1
            continue
        # Take it back from whoever held it, so only this sweep enqueues it again.
        took = OwedTask.objects.filter(
            pk=work.pk, lease_until=work.lease_until, result_id=work.result_id
        ).update(lease_until=None, result_id="", enqueued_at=None)
        if not took:
            continue
        try:
            _enqueue(work.pk, import_string(work.task_path), work.kwargs, work.priority)
        except Exception:  # noqa: BLE001 - the queue is down: the row stays owed for the next sweep
            logger.exception("Could not enqueue %s; will try again.", work)
            continue
        counts["enqueued"] += 1
    counts["closed_results"] = _close_abandoned_results(now)
    return counts


def _close_abandoned_results(now: datetime) -> int:
    """Mark the database queue's tasks that a dead worker left "running" as failed.

    The owed rows already retry the work; this keeps the queue's own record truthful. RQ does
    the same for its jobs itself (a worker's heartbeat that stops moves its job to failed).
    """
    if not _on_database_queue():
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = now - timedelta(seconds=settings.TASK_ABANDONED_AFTER_SECONDS)
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback="The worker running this task stopped before it finished.",
    )


def _give_up(work: OwedTask, *, error: str, now: datetime) -> None:
    import_string(work.task_path)  # its module registers the give-up handler
    with transaction.atomic():
        if not OwedTask.objects.filter(pk=work.pk, gave_up_at__isnull=True).update(
            gave_up_at=now, lease_until=None, last_error=error
        ):
            return
        handler = _give_up_handlers.get(work.task_path)
        if handler is not None:
            handler(work.kwargs, f"{error} (after {work.attempts} attempts)")
    logger.error("Gave up on %s: %s", work, error)


def pending_count() -> int:
    return OwedTask.objects.filter(gave_up_at__isnull=True).count()
