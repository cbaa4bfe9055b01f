"""A worker killed with SIGKILL in the middle of ingesting loses nothing and duplicates nothing."""

from __future__ import annotations

import signal

import pytest
from django.db.models import Count

from civicdesk.accounts.models import Account
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.archive.verify import verify_archive
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import replay_account, write_replay

from .processes import civicdesk, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

N = 12_000


def items_stored() -> int:
    return Item.objects.count()


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path, flushable_archive, settings):
    # The scheduler seals into the anchor file under its var dir; verify here reads the same.
    settings.ANCHOR_FILE = tmp_path / "anchors.jsonl"
    settings.ANCHOR_KEY_FILE = tmp_path / "anchor_key"
    feed = write_replay(
        tmp_path / "feed.jsonl",
        (
            {
                "id": f"c{n}",
                "kind": "comment",
                "text": f"Comment number {n} about the bus route",
                "offset_s": -N + n,
                "author": {"handle": f"resident{n % 500}"},
            }
            for n in range(N)
        ),
    )
    account = replay_account(feed, speed=0, poll_interval=1)
    account.options["page_size"] = 40
    account.save()
    lease = {"CIVICDESK_POLL_LEASE_SECONDS": "3"}
    scheduler = civicdesk("scheduler", "--interval", "0.2", var_dir=tmp_path, env=lease)
    worker = civicdesk("worker", "--interval", "0.1", var_dir=tmp_path, env=lease)
    try:
        wait_for(
            lambda: items_stored() >= 1500, timeout=90, what="the first worker to store some items"
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        stored_at_kill = items_stored()
        assert stored_at_kill < N, (
            "the worker finished before it could be killed; make the feed longer"
        )

        # Whatever was committed is exactly what the committed cursor says was read.
        cursor_line = int(Account.objects.get(pk=account.pk).cursor.split(":")[1])
        assert stored_at_kill == cursor_line
        assert Entry.objects.count() == stored_at_kill

        worker = civicdesk("worker", "--interval", "0.1", var_dir=tmp_path, env=lease)
        wait_for(lambda: items_stored() == N, timeout=400, what="a new worker to finish the replay")
        wait_for(
            lambda: Account.objects.get(pk=account.pk).poll_lease_until is None,
            timeout=30,
            what="the last poll to finish",
        )
    finally:
        for process in (worker, scheduler):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)

    assert Item.objects.count() == N
    assert ItemVersion.objects.count() == N
    assert not ItemVersion.objects.values("item").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert Entry.objects.count() == N
    assert Account.objects.get(pk=account.pk).cursor.endswith(f":{N}")
    assert verify_archive().is_intact is True
