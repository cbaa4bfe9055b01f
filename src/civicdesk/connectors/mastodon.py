"""Mastodon (and API-compatible servers) through the Mastodon REST API.

Reads: notifications of type ``mention`` (replies and mentions; ``direct`` visibility ones are
direct messages) and ``update`` (a status the account interacted with was edited), then the
account's own statuses. Both are read forward with ``min_id``, which returns the results
immediately newer than the id, so no sweep is needed.

Mastodon has no "hide a reply": an account can only delete its own statuses (others' replies can
be muted, blocked or reported, which is not a connector operation). Posts carry the outbox item
id as ``Idempotency-Key``, which the server honours for an hour, so a repeated POST is safe.

Options: ``instance`` (base URL, e.g. ``https://mastodon.social``), ``account_id`` (the agency
account's id on that instance). Credentials: ``access_token``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from civicdesk.connectors.base import (
    Capability,
    FetchPage,
    ItemGone,
    ItemKind,
    ItemRecord,
    MediaRef,
    OutgoingPost,
    Platform,
)
from civicdesk.connectors.cursors import StreamPage, Sweep, read_streams
from civicdesk.connectors.http import ApiResponse, HttpConnector, PlatformClient
from civicdesk.connectors.plaintext import html_to_text

MAX_PAGE = 40  # the documented maximum `limit` for notifications and statuses
# Video and audio come back 202 and are processed in the background; poll this many times.
MEDIA_PROCESSING_POLLS = 10


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


class MastodonContext(_Model):
    ancestors: list[dict[str, Any]]
    descendants: list[dict[str, Any]]


class MastodonMediaUpload(_Model):
    id: str
    url: str | None = None


class MastodonConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.MASTODON
    capabilities = frozenset(
        {
            Capability.READ_POSTS,
            Capability.READ_COMMENTS,
            Capability.READ_MENTIONS,
            Capability.READ_MESSAGES,
            Capability.FETCH_THREAD,
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
            *(self._record(s, context) for s in thread.ancestors),
            self._record(status.body, status),
            *(self._record(s, context) for s in thread.descendants),
        ]

    def reply(self, *, parent_platform_id: str, post: OutgoingPost) -> ItemRecord:
        return self._post_status(post, in_reply_to=parent_platform_id)

    def publish(self, *, post: OutgoingPost) -> ItemRecord:
        return self._post_status(post, in_reply_to=post.reply_to_platform_id)

    def delete(self, *, platform_id: str) -> None:
        try:
            self.http.delete(f"/api/v1/statuses/{platform_id}", item_id=platform_id)
        except ItemGone:
            return  # already gone: the outcome the caller asked for

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        response = self.http.get(f"/api/v1/statuses/{platform_id}", item_id=platform_id)
        status = response.parse(MastodonStatus)
        return {
            "replies": status.replies_count,
            "boosts": status.reblogs_count,
            "favourites": status.favourites_count,
        }

    def _read_notifications(self, sweep: Sweep, limit: int) -> StreamPage:
        page_size = max(1, min(limit, MAX_PAGE))
        response = self.http.get(
            "/api/v1/notifications",
            params=[
                ("types[]", "mention"),
                ("types[]", "update"),
                ("min_id", sweep.watermark or "0"),
                ("limit", page_size),
            ],
        )
        notifications = [response.parse(MastodonNotification, raw) for raw in response.body or []]
        # Results are immediately newer than min_id but listed newest first.
        notifications.sort(key=lambda n: int(n.id))
        records = [self._record(n.status, response) for n in notifications if n.status]
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
        raws = sorted(response.body or [], key=lambda raw: int(str(raw.get("id", 0))))
        records = [self._record(raw, response) for raw in raws]
        newest = records[-1].platform_id if records else sweep.watermark
        return StreamPage(records, Sweep(watermark=newest), has_more=len(records) >= page_size)

    def _record(self, raw: Any, response: ApiResponse) -> ItemRecord:
        status = response.parse(MastodonStatus, raw)
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
        response = self.http.post(
            "/api/v1/statuses",
            data=form,
            headers={"Idempotency-Key": post.idempotency_key} if post.idempotency_key else None,
            retry_unsafe=bool(post.idempotency_key),
        )
        return self._record(response.body, response)

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
