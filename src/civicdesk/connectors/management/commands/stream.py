"""``civicdesk stream``: archive Mastodon events the moment they happen.

One thread per account follows its user stream (:mod:`civicdesk.connectors.streaming`) and
archives each event through the same ``store_page`` a poll uses. The account's cursor is left
as it is, so polling goes on reading everything and catches what the stream missed.
"""

from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connections

from civicdesk.accounts.health import mark_needs_reconnect
from civicdesk.accounts.models import Account
from civicdesk.accounts.polling import store_page
from civicdesk.archive.ingest import IngestReport
from civicdesk.archive.models import ItemVersion
from civicdesk.connectors.base import ConnectorError, FetchPage, Platform
from civicdesk.connectors.mastodon import MastodonConnector
from civicdesk.connectors.registry import connector_for
from civicdesk.connectors.streaming import MastodonStream, StreamUpdate

logger = logging.getLogger("civicdesk.connectors.stream")

SOURCE = ItemVersion.Source.STREAM
# How long a stopping command waits for each stream to let go.
STOP_TIMEOUT = 10.0


def archive_update(*, account: Account, update: StreamUpdate) -> IngestReport:
    """Archive one streamed event; the account's cursor and poll lease stay as they were."""
    page = FetchPage(items=update.items, next_cursor=account.cursor, deleted_ids=update.deleted_ids)
    try:
        return store_page(account, page, SOURCE, advance_cursor=False)
    except IntegrityError:
        # A poll stored the same item first; the second attempt finds it and writes nothing.
        return store_page(account, page, SOURCE, advance_cursor=False)


def describe(update: StreamUpdate, report: IngestReport) -> str:
    ids = [item.platform_id for item in update.items] + list(update.deleted_ids)
    return (
        f"{update.event} {', '.join(ids)}: {report.new_versions} new versions "
        f"({len(report.created_item_ids)} new items, {report.deletions} deletions)."
    )


class Follower:
    """Follows one account's stream in its own thread."""

    def __init__(self, account: Account, connector: MastodonConnector) -> None:
        self.account = account
        self.stream = MastodonStream(connector)
        self.failed = False
        self.thread = threading.Thread(target=self.run, name=f"stream-{account.pk}", daemon=True)

    def run(self) -> None:
        name = self.account.display_name
        try:
            for update in self.stream.updates():
                if update.problem:
                    logger.warning("%s: %s", name, update.problem)
                    continue
                report = archive_update(account=self.account, update=update)
                logger.info("%s: %s", name, describe(update, report))
        except ConnectorError as error:
            self.failed = True
            logger.error("%s: streaming stopped: %s", name, error.message)
            if error.needs_reconnect:
                mark_needs_reconnect(account=self.account, reason=error.message)
        except Exception:
            self.failed = True
            logger.exception("%s: streaming stopped on an unexpected error.", name)
        finally:
            connections.close_all()  # this thread's own connection


class Command(BaseCommand):
    help = (
        "Keep a live stream open for every active Mastodon account and archive each event as "
        "it arrives; polling goes on as the safety net. Stops on Ctrl+C or SIGTERM."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--account",
            type=int,
            action="append",
            metavar="ID",
            help="Stream only this account (repeat for several).",
        )

    def handle(self, *args: Any, account: list[int] | None, **options: Any) -> None:
        accounts = Account.objects.filter(
            platform=Platform.MASTODON, status=Account.Status.ACTIVE
        ).order_by("pk")
        if account:
            accounts = accounts.filter(pk__in=account)
        followers = []
        for each in accounts:
            try:
                connector = connector_for(each)
            except ConnectorError as error:
                logger.error("%s: cannot stream: %s", each.display_name, error.message)
                if error.needs_reconnect:
                    mark_needs_reconnect(account=each, reason=error.message)
                continue
            if isinstance(connector, MastodonConnector):  # replayed accounts have no stream
                followers.append(Follower(each, connector))
        if not followers:
            raise CommandError("No active Mastodon account to stream; check the account ids.")

        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()
            for follower in followers:
                follower.stream.close()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for follower in followers:
                follower.thread.start()
            self.stdout.write(
                f"Streaming {len(followers)} Mastodon account(s): "
                + ", ".join(f.account.display_name for f in followers)
                + ". Stop with Ctrl+C."
            )
            for follower in followers:
                # Joined in slices so that the signal handler runs while waiting.
                while follower.thread.is_alive() and not stopping.is_set():
                    follower.thread.join(timeout=0.5)
            for follower in followers:
                follower.thread.join(timeout=STOP_TIMEOUT)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        failed = [f.account.display_name for f in followers if f.failed]
        if stopping.is_set():
            self.stdout.write(f"Stopped streaming {len(followers)} Mastodon account(s).")
        if failed and not stopping.is_set():
            raise CommandError(f"Streaming stopped for {', '.join(failed)}; see the log above.")
