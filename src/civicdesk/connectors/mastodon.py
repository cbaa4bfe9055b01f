"""Mastodon (and API-compatible servers) through the Mastodon REST API.

Reads: notifications of type ``mention`` (replies and mentions; ``direct`` visibility ones are
direct messages) and ``update`` (a status the account interacted with was edited), then the
account's own statuses. Both are read forward with ``min_id``, which returns the results
immediately newer than the id, so no sweep is needed.

Real time: :meth:`MastodonConnector.read_stream_event` turns one event of the streaming API
(``civicdesk stream``, :mod:`civicdesk.connectors.streaming`) into the same records a poll makes;
the stream's address comes from the instance (``configuration.urls.streaming``).

Mastodon has no "hide a reply": an account can only delete its own statuses (others' replies can
be muted, blocked or reported, which is not a connector operation), and it answers 404 to a
delete of someone else's status, so a 404 is checked before it counts as "already gone".

Posts carry the outbox item id as ``Idempotency-Key``, but not every compatible server honours it
(Takahē ignores it), so a POST is never repeated blindly: when its answer is lost, the account's
latest statuses are searched for it first.

Compatible servers differ: Pleroma and Akkoma use base62 flake ids (see :func:`id_order`);
Takahē answers a bad token with HTTP 400 ``Invalid Bearer token`` in plain text.

Options: ``instance`` (base URL, e.g. ``https://mastodon.social``), ``account_id`` (the agency
account's id on that instance). Credentials: ``access_token``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

from civicdesk.connectors.base import (
    Capability,
    ConnectorError,
    FetchPage,
    ItemGone,
    ItemKind,
    ItemRecord,
    LookupResult,
    MediaRef,
    OutgoingPost,
    Platform,
)
from civicdesk.connectors.cursors import StreamPage, Sweep, read_streams
from civicdesk.connectors.http import (
    USER_AGENT,
    HttpConnector,
    PlatformClient,
    error_text,
    parse_payload,
)
from civicdesk.connectors.plaintext import html_to_text

MAX_PAGE = 40  # the documented maximum `limit` for notifications and statuses
MAX_LOOKUP = 20  # ids per GET /api/v1/statuses
# Notifications that carry something to archive: mentions (replies and direct messages among
# them) and edits of statuses the account interacted with.
READ_NOTIFICATION_TYPES = ("mention", "update")
# Home timeline and notifications; `user:notification` alone would miss deletions.
STREAM_PATH = "/api/v1/streaming/user"
# Mastodon's ids are digits; compatible servers (Pleroma, Akkoma) use base62 flake ids.
STATUS_ID = re.compile(r"[0-9A-Za-z_-]{1,255}")
# How servers word a refused token: Mastodon (Doorkeeper) in JSON, Takahē as plain text.
TOKEN_REFUSED = re.compile(
    r"invalid bearer token|access token (is invalid|was revoked|expired)|invalid_token", re.I
)
# How far back a status whose answer was lost is searched for, and how many statuses are read.
LOST_POST_WINDOW = timedelta(minutes=10)
LOST_POST_LOOKUP = 20
# Video and audio come back 202 and are processed in the background; poll this many times.
MEDIA_PROCESSING_POLLS = 10


def classify_error(response: httpx.Response, body: Any, item_id: str) -> ConnectorError | None:
    """A refused token, however the server words it, means the account must be reconnected."""
    if response.status_code not in (400, 401, 403):
        return None
    words = error_text(body) or response.text.strip()[:200]
    if not TOKEN_REFUSED.search(words):
        return None
    return ConnectorError(
        f"Mastodon no longer accepts this account's access token "
        f"(HTTP {response.status_code}: {words}). Reconnect the account.",
        needs_reconnect=True,
    )


def id_order(platform_id: str) -> tuple[int, str]:
    """A sort key that puts ids in the order the server made them.

    Mastodon's ids are decimal numbers without leading zeros, so a longer one is newer; Pleroma
    and Akkoma flake ids are base62 strings of one length whose alphabet is in ASCII order. Both
    sort by (length, text), and neither is read as a number.
    """
    return len(platform_id), platform_id


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MastodonAccount(_Model):
    id: str
    username: str = ""
    acct: str = ""
    display_name: str = ""


class MastodonAttachment(_Model):
    id: str
    type: str = "image"
    url: str | None = None
    remote_url: str | None = None
    description: str | None = None


class MastodonStatus(_Model):
    id: str
    created_at: datetime
    content: str = ""
    url: str | None = None
    uri: str = ""
    visibility: str = "public"
    account: MastodonAccount
    in_reply_to_id: str | None = None
    language: str | None = None
    media_attachments: list[MastodonAttachment] = []
    edited_at: datetime | None = None
    replies_count: int = 0
    reblogs_count: int = 0
    favourites_count: int = 0


class MastodonNotification(_Model):
    id: str
    type: str
    status: dict[str, Any] | None = None


class MastodonMention(_Model):
    id: str


class MastodonStreamedStatus(_Model):
    """What decides whether a streamed status concerns the account."""

    account: MastodonAccount
    mentions: list[MastodonMention] = []
    in_reply_to_account_id: str | None = None


class MastodonContext(_Model):
    ancestors: list[dict[str, Any]]
    descendants: list[dict[str, Any]]


class MastodonMediaUpload(_Model):
    id: str
    url: str | None = None


class StreamingUrls(_Model):
    streaming: str = ""


class InstanceConfiguration(_Model):
    urls: StreamingUrls = StreamingUrls()


class MastodonInstance(_Model):
    configuration: InstanceConfiguration = InstanceConfiguration()


class MastodonConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.MASTODON
    capabilities = frozenset(
        {
            Capability.READ_POSTS,
            Capability.READ_COMMENTS,
            Capability.READ_MENTIONS,
            Capability.READ_MESSAGES,
            Capability.FETCH_THREAD,
            Capability.LOOKUP,
            Capability.REPLY,
            Capability.DELETE,
            Capability.PUBLISH,
            Capability.PUBLISH_MEDIA,
            Capability.METRICS,
        }
    )

    @property
    def http(self) -> PlatformClient:
        if not hasattr(self, "_http"):
            self._http = self.make_client(
                base_url=str(self.options["instance"]).rstrip("/"),
                headers={"Authorization": f"Bearer {self.credentials['access_token']}"},
                classify_error=classify_error,
            )
        return self._http

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        return read_streams(
            platform=self.platform,
            cursor=cursor,
            limit=limit,
            readers={"notifications": self._read_notifications, "posts": self._read_own_posts},
        )

    def fetch_thread(self, *, platform_id: str) -> list[ItemRecord]:
        status = self.http.get(f"/api/v1/statuses/{platform_id}", item_id=platform_id)
        context = self.http.get(f"/api/v1/statuses/{platform_id}/context", item_id=platform_id)
        thread = context.parse(MastodonContext)
        return [
            *(self._record(s, context.endpoint) for s in thread.ancestors),
            self._record(status.body, status.endpoint),
            *(self._record(s, context.endpoint) for s in thread.descendants),
        ]

    lookup_batch_size = MAX_LOOKUP
    lookup_calls = MAX_LOOKUP + 1  # one per status on servers older than 4.3

    def lookup(self, *, platform_ids: Sequence[str]) -> LookupResult:
        """Statuses by id in one ``GET /api/v1/statuses?id[]=`` (Mastodon 4.3 and later).

        A status that is gone or no longer visible to the account is left out of the answer.
        A server without that endpoint answers 404 for it; each status is then read alone.
        """
        try:
            response = self.http.get(
                "/api/v1/statuses", params=[("id[]", pid) for pid in platform_ids]
            )
        except ConnectorError as error:
            if error.permanent and not error.needs_reconnect:
                return self._lookup_one_by_one(platform_ids)
            raise
        found = [self._record(raw, response.endpoint) for raw in response.body or []]
        shown = {record.platform_id for record in found}
        gone = [pid for pid in platform_ids if pid not in shown]
        return LookupResult(found=found, gone=gone)

    def _lookup_one_by_one(self, platform_ids: Sequence[str]) -> LookupResult:
        found: list[ItemRecord] = []
        gone: list[str] = []
        for pid in platform_ids:
            try:
                response = self.http.get(f"/api/v1/statuses/{pid}", item_id=pid)
            except ItemGone:
                gone.append(pid)
                continue
            found.append(self._record(response.body, response.endpoint))
        return LookupResult(found=found, gone=gone, calls=1 + len(platform_ids))

    def reply(self, *, parent_platform_id: str, post: OutgoingPost) -> ItemRecord:
        return self._post_status(post, in_reply_to=parent_platform_id)

    def publish(self, *, post: OutgoingPost) -> ItemRecord:
        return self._post_status(post, in_reply_to=post.reply_to_platform_id)

    def delete(self, *, platform_id: str) -> None:
        """Delete one of the account's own statuses; a status that is already gone is no error.

        Raises a permanent :class:`ConnectorError` when the status exists but was posted by
        another account, which Mastodon answers with the same 404 as a missing status.
        """
        try:
            self.http.delete(f"/api/v1/statuses/{platform_id}", item_id=platform_id)
        except ItemGone as refused:
            try:
                response = self.http.get(f"/api/v1/statuses/{platform_id}", item_id=platform_id)
            except ItemGone:
                return  # already gone (or hidden from this account): nothing left to delete
            author = response.parse(MastodonStatus).account
            said = refused.detail or "not found"
            raise ConnectorError(
                f"Mastodon did not delete status {platform_id}: it was posted by "
                f"@{author.acct or author.username}, and an account may delete only its own "
                f"statuses (Mastodon said: {said}).",
                permanent=True,
            ) from refused

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        response = self.http.get(f"/api/v1/statuses/{platform_id}", item_id=platform_id)
        status = response.parse(MastodonStatus)
        return {
            "replies": status.replies_count,
            "boosts": status.reblogs_count,
            "favourites": status.favourites_count,
        }

    def streaming_url(self) -> str:
        """The address of the account's user stream, which the instance may serve from elsewhere."""
        try:
            response = self.http.get("/api/v2/instance")
            base = response.parse(MastodonInstance).configuration.urls.streaming
        except ConnectorError as error:
            if error.needs_reconnect or not error.permanent:
                raise
            base = ""  # before Mastodon 4.0 there is no v2 instance; streams share the host
        # The instance names a WebSocket address; server-sent events are read over HTTP(S).
        base = re.sub(r"^ws", "http", base) if base else str(self.options["instance"])
        return base.rstrip("/") + STREAM_PATH

    def stream_client(self, *, read_timeout: float) -> httpx.Client:
        """A client for the long-lived stream: a read that waits ``read_timeout`` s is a dead link."""
        return httpx.Client(
            headers={
                "User-Agent": USER_AGENT,
                "Authorization": f"Bearer {self.credentials['access_token']}",
                "Accept": "text/event-stream",
            },
            transport=self._transport,
            timeout=httpx.Timeout(30.0, read=read_timeout),
        )

    def read_stream_event(self, event: str, data: str) -> tuple[list[ItemRecord], list[str]]:
        """(records, deleted ids) that one streamed event means for the archive.

        Parsed as a poll parses the same objects. Events that carry nothing to archive
        (favourites, follows, other people's posts in the home timeline, announcements) give
        nothing. Raises a permanent :class:`ConnectorError` naming the event when it is malformed.
        """
        endpoint = f"the {event} event of {STREAM_PATH}"
        if event == "delete":
            status_id = data.strip()
            if not STATUS_ID.fullmatch(status_id):
                raise ConnectorError(
                    f"Mastodon sent a delete event without a status id ({data[:80]!r}); "
                    "nothing was recorded.",
                    permanent=True,
                )
            return [], [status_id]
        if event not in ("notification", "update", "status.update"):
            return [], []
        try:
            raw = json.loads(data)
        except ValueError as exc:
            raise ConnectorError(
                f"Mastodon sent malformed JSON in {endpoint} ({exc}); the event was not stored.",
                permanent=True,
            ) from exc
        if event == "notification":
            note = parse_payload(
                MastodonNotification, raw, platform=self.platform, endpoint=endpoint
            )
            if note.type not in READ_NOTIFICATION_TYPES or not note.status:
                return [], []
            return [self._record(note.status, endpoint)], []
        seen = parse_payload(MastodonStreamedStatus, raw, platform=self.platform, endpoint=endpoint)
        own_id = str(self.options.get("account_id", ""))
        concerns_account = (
            seen.account.id == own_id
            or seen.in_reply_to_account_id == own_id
            or any(mention.id == own_id for mention in seen.mentions)
        )
        return ([self._record(raw, endpoint)] if concerns_account else []), []

    def _read_notifications(self, sweep: Sweep, limit: int) -> StreamPage:
        page_size = max(1, min(limit, MAX_PAGE))
        response = self.http.get(
            "/api/v1/notifications",
            params=[
                *(("types[]", kind) for kind in READ_NOTIFICATION_TYPES),
                ("min_id", sweep.watermark or "0"),
                ("limit", page_size),
            ],
        )
        notifications = [response.parse(MastodonNotification, raw) for raw in response.body or []]
        # Results are immediately newer than min_id but listed newest first.
        notifications.sort(key=lambda n: id_order(n.id))
        records = [self._record(n.status, response.endpoint) for n in notifications if n.status]
        newest = notifications[-1].id if notifications else sweep.watermark
        return StreamPage(
            records, Sweep(watermark=newest), has_more=len(notifications) >= page_size
        )

    def _read_own_posts(self, sweep: Sweep, limit: int) -> StreamPage:
        page_size = max(1, min(limit, MAX_PAGE))
        response = self.http.get(
            f"/api/v1/accounts/{self.options['account_id']}/statuses",
            params={"min_id": sweep.watermark or "0", "limit": page_size},
        )
        records = sorted(
            (self._record(raw, response.endpoint) for raw in response.body or []),
            key=lambda record: id_order(record.platform_id),
        )
        newest = records[-1].platform_id if records else sweep.watermark
        return StreamPage(records, Sweep(watermark=newest), has_more=len(records) >= page_size)

    def _record(self, raw: Any, endpoint: str) -> ItemRecord:
        status = parse_payload(MastodonStatus, raw, platform=self.platform, endpoint=endpoint)
        if status.visibility == "direct":
            kind = ItemKind.MESSAGE
        elif status.in_reply_to_id:
            kind = ItemKind.REPLY
        elif status.account.id == str(self.options.get("account_id", "")):
            kind = ItemKind.POST
        else:
            kind = ItemKind.MENTION
        return ItemRecord(
            platform_id=status.id,
            kind=kind,
            text=html_to_text(status.content),
            created_at=status.created_at,
            author_handle=status.account.acct,
            author_name=status.account.display_name,
            author_platform_id=status.account.id,
            url=status.url or status.uri,
            parent_platform_id=status.in_reply_to_id or "",
            language=status.language or "",
            media=tuple(
                MediaRef(
                    url=m.url or m.remote_url or "",
                    kind={"gifv": "gif", "audio": "video"}.get(m.type, m.type),
                    alt_text=m.description or "",
                )
                for m in status.media_attachments
            ),
            edited_at=status.edited_at,
            raw=raw,
        )

    def _post_status(self, post: OutgoingPost, *, in_reply_to: str) -> ItemRecord:
        form: dict[str, Any] = {"status": post.text}
        if post.media:
            form["media_ids[]"] = [self._upload(media) for media in post.media]
        if in_reply_to:
            form["in_reply_to_id"] = in_reply_to
        if post.language:
            form["language"] = post.language
        sent_at = self.now()
        try:
            response = self.http.post(
                "/api/v1/statuses",
                data=form,
                headers={"Idempotency-Key": post.idempotency_key} if post.idempotency_key else None,
            )
        except ConnectorError as error:
            if error.permanent or error.retry_after is not None:
                raise  # refused outright: nothing was posted
            # A timeout or a server error after the request went out: the status may exist.
            try:
                posted = self._find_posted(post.text, in_reply_to=in_reply_to, since=sent_at)
            except ConnectorError as lookup:
                # Unknown outcome: a permanent error keeps anything from posting it twice.
                raise ConnectorError(
                    f"{error.message} Whether the status was posted could not be checked "
                    f"({lookup.message}); look at the account before posting it again.",
                    permanent=True,
                ) from error
            if posted is None:
                raise ConnectorError(
                    f"{error.message} The status is not among the account's latest statuses, "
                    "so it was not posted."
                ) from error
            return posted
        return self._record(response.body, response.endpoint)

    def _find_posted(self, text: str, *, in_reply_to: str, since: datetime) -> ItemRecord | None:
        """The account's status with this text and parent made since ``since``, if there is one."""
        response = self.http.get(
            f"/api/v1/accounts/{self.options['account_id']}/statuses",
            params={"limit": LOST_POST_LOOKUP},
        )
        wanted = " ".join(text.split())
        for raw in response.body or []:
            record = self._record(raw, response.endpoint)
            if (
                record.parent_platform_id == in_reply_to
                and " ".join(record.text.split()) == wanted
                and record.created_at >= since - LOST_POST_WINDOW
            ):
                return record
        return None

    def _upload(self, media: MediaRef) -> str:
        content, content_type = self.http.download(media.url)
        response = self.http.post(
            "/api/v2/media",
            files={"file": (media.url.rsplit("/", 1)[-1] or "media", content, content_type)},
            data={"description": media.alt_text},
        )
        upload = response.parse(MastodonMediaUpload)
        polls = 0
        while response.status_code == 202 and upload.url is None and polls < MEDIA_PROCESSING_POLLS:
            polls += 1
            self._sleep(min(2.0 * polls, 10.0))
            check = self.http.get(f"/api/v1/media/{upload.id}")
            upload = check.parse(MastodonMediaUpload)
        return upload.id
