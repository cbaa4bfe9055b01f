"""YouTube channels through the YouTube Data API v3.

Reads comment threads on all the channel's videos (``allThreadsRelatedToChannelId``, newest
first) with the replies the thread resource carries. A thread resource holds only some of its
replies, and a new reply does not move an old thread up the list, so each sweep re-reads the
last ``lookback_days`` (default 7) and :meth:`YouTubeConnector.fetch_thread` reads every reply.

Hiding is ``setModerationStatus`` with ``heldForReview`` (back with ``published``). ``rejected``
cannot be undone, so it is not what :meth:`hide` does. Only the channel's own comments can be
deleted.

Quota, not requests, is the limit: 10,000 units a day, reset at midnight Pacific time. A
``quotaExceeded`` answer is retryable after that midnight. Publishing (video upload, 1,600 units)
is not offered.

Options: ``channel_id``, ``lookback_days``. Credentials: ``access_token`` (OAuth, refreshed with
:mod:`civicdesk.connectors.oauth`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, Field

from civicdesk.connectors.base import (
    Capability,
    ConnectorError,
    FetchPage,
    ItemGone,
    ItemKind,
    ItemRecord,
    LookupResult,
    OutgoingPost,
    Platform,
)
from civicdesk.connectors.cursors import (
    StreamPage,
    Sweep,
    position_before,
    position_of,
    read_streams,
)
from civicdesk.connectors.http import ApiResponse, HttpConnector, PlatformClient

BASE_URL = "https://www.googleapis.com/youtube/v3"
MAX_PAGE = 100
MAX_IDS = 50  # ids per commentThreads.list / comments.list call
MAX_THREAD_PAGES = 50
DEFAULT_LOOKBACK_DAYS = 7
QUOTA_TIMEZONE = ZoneInfo("America/Los_Angeles")
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
GONE_REASONS = frozenset(
    {"commentNotFound", "commentThreadNotFound", "videoNotFound", "parentCommentNotFound"}
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ChannelRef(_Model):
    value: str = ""


class CommentSnippet(_Model):
    author_display_name: str = Field("", alias="authorDisplayName")
    author_channel_id: ChannelRef = Field(default_factory=ChannelRef, alias="authorChannelId")
    video_id: str = Field("", alias="videoId")
    text_display: str = Field("", alias="textDisplay")
    text_original: str = Field("", alias="textOriginal")
    parent_id: str = Field("", alias="parentId")
    moderation_status: str = Field("published", alias="moderationStatus")
    published_at: datetime = Field(alias="publishedAt")
    updated_at: datetime | None = Field(None, alias="updatedAt")


class Comment(_Model):
    id: str
    snippet: CommentSnippet


class ThreadSnippet(_Model):
    video_id: str = Field("", alias="videoId")
    top_level_comment: dict[str, Any] = Field(alias="topLevelComment")


class CommentThread(_Model):
    id: str
    snippet: ThreadSnippet
    replies: dict[str, Any] = {}


class ListResponse(_Model):
    items: list[dict[str, Any]] = []
    next_page_token: str = Field("", alias="nextPageToken")


def seconds_until_quota_reset(now: datetime) -> float:
    """Seconds until the next midnight in Pacific time, when YouTube refills the daily quota."""
    local = now.astimezone(QUOTA_TIMEZONE)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()


class YouTubeConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.YOUTUBE
    capabilities = frozenset(
        {
            Capability.READ_COMMENTS,
            Capability.FETCH_THREAD,
            Capability.LOOKUP,
            Capability.REPLY,
            Capability.HIDE,
            Capability.DELETE,
            Capability.METRICS,
        }
    )

    @property
    def http(self) -> PlatformClient:
        if not hasattr(self, "_http"):
            self._http = self.make_client(
                base_url=BASE_URL,
                headers={"Authorization": f"Bearer {self.credentials['access_token']}"},
                classify_error=self._classify,
            )
        return self._http

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        return read_streams(
            platform=self.platform,
            cursor=cursor,
            limit=limit,
            readers={"comments": self._read_threads},
        )

    def fetch_thread(self, *, platform_id: str) -> list[ItemRecord]:
        """The thread whose top-level comment is ``platform_id``, with every reply, oldest first."""
        response = self.http.get(
            "/commentThreads",
            params={"part": "snippet", "id": platform_id, "textFormat": "plainText"},
            item_id=platform_id,
        )
        threads = response.parse(ListResponse).items
        if not threads:
            raise ItemGone(self.platform.label, platform_id)
        thread = response.parse(CommentThread, threads[0])
        records = [
            self._record(
                thread.snippet.top_level_comment, response, video_id=thread.snippet.video_id
            )
        ]
        params: dict[str, Any] = {
            "part": "snippet",
            "parentId": platform_id,
            "maxResults": MAX_PAGE,
            "textFormat": "plainText",
        }
        for _ in range(MAX_THREAD_PAGES):
            page = self.http.get("/comments", params=params, item_id=platform_id)
            listing = page.parse(ListResponse)
            records += [
                self._record(raw, page, video_id=thread.snippet.video_id) for raw in listing.items
            ]
            if not listing.next_page_token:
                break
            params = {**params, "pageToken": listing.next_page_token}
        return sorted(records, key=lambda r: r.created_at)

    lookup_batch_size = MAX_IDS
    # Threads of the asked top-level comments and of the asked replies' parents, then replies.
    lookup_calls = 3

    def lookup(self, *, platform_ids: Sequence[str]) -> LookupResult:
        """Comments by id, 1 quota unit per call of up to 50 ids.

        Top-level comments come from ``commentThreads.list?id=`` (a thread's id is its top-level
        comment's), replies (ids ``<parent>.<reply>``) from ``comments.list?id=``; their
        parents' threads are read too, for the video a reply belongs to. A comment that is gone
        is missing from the answer (or the answer is 404 when none of the ids is left).
        """
        replies = [pid for pid in platform_ids if "." in pid]
        tops = [pid for pid in platform_ids if "." not in pid]
        wanted = list(dict.fromkeys([*tops, *(pid.split(".", 1)[0] for pid in replies)]))
        found: dict[str, ItemRecord] = {}
        videos: dict[str, str] = {}
        calls = 0
        for start in range(0, len(wanted), MAX_IDS):
            calls += 1
            response = self._list("/commentThreads", wanted[start : start + MAX_IDS])
            if response is None:
                continue
            for raw in response.parse(ListResponse).items:
                thread = response.parse(CommentThread, raw)
                videos[thread.id] = thread.snippet.video_id
                top = self._record(
                    thread.snippet.top_level_comment, response, video_id=thread.snippet.video_id
                )
                if top.platform_id in tops:
                    found[top.platform_id] = top
        if replies:
            calls += 1
            answer = self._list("/comments", replies)
            listed = answer.parse(ListResponse).items if answer is not None else []
            for raw in listed:
                assert answer is not None
                parent = answer.parse(Comment, raw).snippet.parent_id
                record = self._record(raw, answer, video_id=videos.get(parent, ""))
                found[record.platform_id] = record
        gone = [pid for pid in platform_ids if pid not in found]
        return LookupResult(found=list(found.values()), gone=gone, calls=calls)

    def _list(self, path: str, ids: Sequence[str]) -> ApiResponse | None:
        """One ``list?id=`` call; None when YouTube has none of ``ids`` any more."""
        try:
            return self.http.get(
                path,
                params={"part": "snippet", "id": ",".join(ids), "textFormat": "plainText"},
                item_id=",".join(ids),
            )
        except ItemGone:
            return None

    def reply(self, *, parent_platform_id: str, post: OutgoingPost) -> ItemRecord:
        response = self.http.post(
            "/comments",
            params={"part": "snippet"},
            json={"snippet": {"parentId": parent_platform_id, "textOriginal": post.text}},
            item_id=parent_platform_id,
        )
        return self._record(response.body, response, video_id="")

    def hide(self, *, platform_id: str, hidden: bool = True) -> None:
        self.http.post(
            "/comments/setModerationStatus",
            params={
                "id": platform_id,
                "moderationStatus": "heldForReview" if hidden else "published",
            },
            item_id=platform_id,
        )

    def delete(self, *, platform_id: str) -> None:
        try:
            self.http.delete("/comments", params={"id": platform_id}, item_id=platform_id)
        except ItemGone:
            return

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        """Statistics of the video ``platform_id``."""
        response = self.http.get(
            "/videos", params={"part": "statistics", "id": platform_id}, item_id=platform_id
        )
        videos = response.parse(ListResponse).items
        if not videos:
            raise ItemGone(self.platform.label, platform_id)
        statistics = videos[0].get("statistics") or {}
        names = {
            "viewCount": "views",
            "likeCount": "likes",
            "commentCount": "comments",
            "favoriteCount": "favorites",
        }
        return {names[key]: int(value) for key, value in statistics.items() if key in names}

    def _read_threads(self, sweep: Sweep, limit: int) -> StreamPage:
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": str(self.options["channel_id"]),
            "order": "time",
            "maxResults": max(1, min(limit, MAX_PAGE)),
            "textFormat": "plainText",
        }
        if sweep.page:
            params["pageToken"] = sweep.page
        response = self.http.get("/commentThreads", params=params)
        listing = response.parse(ListResponse)
        lookback = timedelta(days=int(self.options.get("lookback_days", DEFAULT_LOOKBACK_DAYS)))
        floor = position_before(sweep.watermark, lookback)
        records: list[ItemRecord] = []
        seen: list[str] = []
        reached = False
        for raw in reversed(listing.items):  # oldest first
            thread = response.parse(CommentThread, raw)
            top = self._record(
                thread.snippet.top_level_comment, response, video_id=thread.snippet.video_id
            )
            position = position_of(top.created_at)
            if floor and position <= floor:
                reached = True
                continue
            seen.append(position)
            replies = [
                self._record(reply, response, video_id=thread.snippet.video_id)
                for reply in thread.replies.get("comments") or []
            ]
            records += [top, *sorted(replies, key=lambda r: r.created_at)]
        next_sweep = sweep.advance(
            seen=seen, next_page=listing.next_page_token, reached_watermark=reached
        )
        return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))

    def _record(self, raw: Any, response: ApiResponse, *, video_id: str) -> ItemRecord:
        comment = response.parse(Comment, raw)
        snippet = comment.snippet
        video = snippet.video_id or video_id
        edited = (
            snippet.updated_at
            if snippet.updated_at and snippet.updated_at != snippet.published_at
            else None
        )
        return ItemRecord(
            platform_id=comment.id,
            kind=ItemKind.REPLY if snippet.parent_id else ItemKind.COMMENT,
            text=snippet.text_display or snippet.text_original,
            created_at=snippet.published_at,
            author_handle=snippet.author_display_name,
            author_name=snippet.author_display_name,
            author_platform_id=snippet.author_channel_id.value,
            url=f"https://www.youtube.com/watch?v={video}&lc={comment.id}" if video else "",
            parent_platform_id=snippet.parent_id or video,
            is_hidden=snippet.moderation_status in ("heldForReview", "likelySpam", "rejected"),
            edited_at=edited,
            raw=raw,
        )

    def _classify(self, response: httpx.Response, body: Any, item_id: str) -> ConnectorError | None:
        error = body.get("error") if isinstance(body, dict) else None
        if response.is_success or not isinstance(error, dict):
            return None
        reasons = {
            str(e.get("reason", "")) for e in error.get("errors") or [] if isinstance(e, dict)
        }
        message = str(error.get("message") or "")
        if reasons & QUOTA_REASONS:
            return ConnectorError(
                f"The YouTube daily quota is used up ({message}); "
                "reading resumes after midnight Pacific time.",
                retry_after=seconds_until_quota_reset(self.now()),
            )
        if reasons & RATE_REASONS:
            return ConnectorError(f"YouTube asked to slow down: {message}", retry_after=60.0)
        if reasons & GONE_REASONS and item_id:
            return ItemGone(self.platform.label, item_id)
        return None
