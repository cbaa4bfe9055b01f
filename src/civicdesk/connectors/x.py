"""X (formerly Twitter) through API v2 with an OAuth 2.0 user token.

Reads the mentions timeline and the account's own posts, each newest first with ``since_id``
and ``pagination_token``: a sweep reads back to the newest id of the previous sweep. Every call
costs money on pay-per-use plans, so nothing is read twice on purpose.

Edits: an edited post gets a new id, and ``edit_history_tweet_ids`` lists every id from the
original on. The archive keys a post by its *original* id (the first in that list) so that all
versions land on one item, with ``edited_at`` set to the new version's creation time; the
newest id stays in ``raw``.

Direct messages: ``GET /2/dm_events`` lists the account's message events of the last 30 days,
newest first, with ``pagination_token`` and no ``since_id``; a third sweep reads them back to the
newest event id of the previous sweep. Each message is a ``message`` item whose parent is its
``dm_conversation_id``, so one conversation reads as one thread. Reading them needs the
``dm.read`` scope; an account connected without it sets the option ``read_messages`` to false.

Threads come from recent search on ``conversation_id``, which only reaches back 7 days.

Options: ``user_id`` (the agency account's numeric id), ``read_messages`` (default true).
Credentials: ``access_token`` (refreshed with ``refresh_token`` by
:mod:`civicdesk.accounts.tokens` when X refuses it after two hours).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
from civicdesk.connectors.cursors import StreamPage, StreamReader, Sweep, read_streams
from civicdesk.connectors.http import ApiResponse, HttpConnector, PlatformClient

BASE_URL = "https://api.x.com"
MIN_PAGE, MAX_PAGE = 5, 100  # the documented bounds of max_results on user timelines
MAX_THREAD_PAGES = 10
MAX_IMAGES = 4
TWEET_FIELDS = {
    "tweet.fields": "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,"
    "edit_history_tweet_ids,lang,attachments",
    "expansions": "author_id,attachments.media_keys",
    "user.fields": "username,name",
    "media.fields": "url,preview_image_url,type,alt_text",
}
DM_FIELDS = {
    "dm_event.fields": "id,text,event_type,created_at,dm_conversation_id,sender_id,"
    "participant_ids,attachments,referenced_tweets",
    "event_types": "MessageCreate",
    "expansions": "sender_id,attachments.media_keys",
    "user.fields": "username,name",
    "media.fields": "url,preview_image_url,type,alt_text",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ReferencedTweet(_Model):
    type: str
    id: str


class Tweet(_Model):
    id: str
    text: str
    created_at: datetime
    author_id: str = ""
    conversation_id: str = ""
    referenced_tweets: list[ReferencedTweet] = []
    edit_history_tweet_ids: list[str] = []
    lang: str = ""
    attachments: dict[str, Any] = {}

    @property
    def original_id(self) -> str:
        return self.edit_history_tweet_ids[0] if self.edit_history_tweet_ids else self.id

    @property
    def replied_to(self) -> str:
        return next((ref.id for ref in self.referenced_tweets if ref.type == "replied_to"), "")


class DmEvent(_Model):
    id: str
    text: str = ""
    created_at: datetime
    sender_id: str = ""
    dm_conversation_id: str = ""
    attachments: dict[str, Any] = {}


class TweetMetrics(_Model):
    public_metrics: dict[str, int] = {}


class XUser(_Model):
    id: str
    username: str = ""
    name: str = ""


class XMedia(_Model):
    media_key: str
    type: str = "photo"
    url: str = ""
    preview_image_url: str = ""
    alt_text: str = ""


class Includes(_Model):
    users: list[XUser] = []
    media: list[XMedia] = []


class Meta(_Model):
    newest_id: str = ""
    next_token: str = ""


class Timeline(_Model):
    data: list[dict[str, Any]] = []
    includes: Includes = Includes()
    meta: Meta = Meta()


class SingleTweet(_Model):
    data: dict[str, Any]
    includes: Includes = Includes()


class UploadedMedia(_Model):
    id: str


class Uploaded(_Model):
    data: UploadedMedia


def _padded(tweet_id: str) -> str:
    # Ids are compared as strings inside a cursor; padding makes that a numeric comparison.
    return tweet_id.zfill(20)


def _media(includes: Includes, attachments: dict[str, Any]) -> tuple[MediaRef, ...]:
    keys = attachments.get("media_keys") or []
    return tuple(
        MediaRef(
            url=m.url or m.preview_image_url,
            kind={"photo": "image", "animated_gif": "gif"}.get(m.type, m.type),
            alt_text=m.alt_text,
        )
        for m in includes.media
        if m.media_key in keys
    )


def _classify(response: httpx.Response, body: Any, item_id: str) -> ConnectorError | None:
    # A missing post is answered 200 with only an "errors" list naming it.
    if response.status_code == 200 and isinstance(body, dict) and "data" not in body and item_id:
        for error in body.get("errors") or []:
            if (
                str(error.get("type", "")).endswith("resource-not-found")
                or error.get("title") == "Not Found Error"
            ):
                return ItemGone(Platform.X.label, item_id)
    return None


class XConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.X
    capabilities = frozenset(
        {
            Capability.READ_POSTS,
            Capability.READ_COMMENTS,
            Capability.READ_MENTIONS,
            Capability.READ_MESSAGES,
            Capability.FETCH_THREAD,
            Capability.LOOKUP,
            Capability.REPLY,
            Capability.HIDE,
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
                base_url=BASE_URL,
                headers={"Authorization": f"Bearer {self.credentials['access_token']}"},
                classify_error=_classify,
            )
        return self._http

    lookup_batch_size = 100  # the documented most ids of GET /2/tweets
    lookup_calls = 2

    @property
    def user_id(self) -> str:
        return str(self.options["user_id"])

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        readers: dict[str, StreamReader] = {
            "mentions": lambda sweep, n: self._read_timeline(
                f"/2/users/{self.user_id}/mentions", sweep, n
            ),
            "posts": lambda sweep, n: self._read_timeline(
                f"/2/users/{self.user_id}/tweets", sweep, n
            ),
        }
        if self.options.get("read_messages", True):
            readers["messages"] = self._read_messages
        return read_streams(platform=self.platform, cursor=cursor, limit=limit, readers=readers)

    def fetch_thread(self, *, platform_id: str) -> list[ItemRecord]:
        response = self.http.get(
            f"/2/tweets/{platform_id}", params=TWEET_FIELDS, item_id=platform_id
        )
        single = response.parse(SingleTweet)
        root = response.parse(Tweet, single.data)
        records = {root.original_id: self._record(single.data, single.includes, response)}
        params: dict[str, Any] = {
            **TWEET_FIELDS,
            "query": f"conversation_id:{root.conversation_id or root.id}",
            "max_results": MAX_PAGE,
        }
        for _ in range(MAX_THREAD_PAGES):
            page = self.http.get("/2/tweets/search/recent", params=params)
            timeline = page.parse(Timeline)
            for raw in timeline.data:
                record = self._record(raw, timeline.includes, page)
                records[record.platform_id] = record
            if not timeline.meta.next_token:
                break
            params = {**params, "next_token": timeline.meta.next_token}
        return sorted(records.values(), key=lambda r: r.created_at)

    def lookup(self, *, platform_ids: Sequence[str]) -> LookupResult:
        """Posts by their original ids; an edited one is read again by its newest id.

        ``GET /2/tweets?ids=`` answers an id it cannot show (deleted, or its author's posts
        now protected) with an entry in ``errors`` instead of ``data``.
        """
        first = self._tweets(platform_ids)
        newest = {
            original: tweet.edit_history_tweet_ids[-1]
            for original, (tweet, _, _) in first.items()
            if tweet.edit_history_tweet_ids and tweet.edit_history_tweet_ids[-1] != tweet.id
        }
        latest = self._tweets(list(newest.values())) if newest else {}
        found: list[ItemRecord] = []
        for original, (tweet, raw, page) in first.items():
            tweet, raw, page = latest.get(original, (tweet, raw, page))
            found.append(self._record(raw, page.parse(Timeline).includes, page))
        gone = [pid for pid in platform_ids if pid not in first]
        return LookupResult(found=found, gone=gone, calls=2 if newest else 1)

    def _tweets(self, ids: Sequence[str]) -> dict[str, tuple[Tweet, dict[str, Any], ApiResponse]]:
        """The posts among ``ids`` that X shows, by original id."""
        response = self.http.get("/2/tweets", params={**TWEET_FIELDS, "ids": ",".join(ids)})
        timeline = response.parse(Timeline)
        shown: dict[str, tuple[Tweet, dict[str, Any], ApiResponse]] = {}
        for raw in timeline.data:
            tweet = response.parse(Tweet, raw)
            shown[tweet.original_id] = (tweet, raw, response)
        return shown

    def reply(self, *, parent_platform_id: str, post: OutgoingPost) -> ItemRecord:
        return self._create(post, in_reply_to=parent_platform_id)

    def publish(self, *, post: OutgoingPost) -> ItemRecord:
        return self._create(post, in_reply_to=post.reply_to_platform_id)

    def hide(self, *, platform_id: str, hidden: bool = True) -> None:
        """Hide a reply; X allows this only in conversations the agency account started."""
        self.http.put(
            f"/2/tweets/{platform_id}/hidden", json={"hidden": hidden}, item_id=platform_id
        )

    def delete(self, *, platform_id: str) -> None:
        try:
            self.http.delete(f"/2/tweets/{platform_id}", item_id=platform_id)
        except ItemGone:
            return

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        response = self.http.get(
            f"/2/tweets/{platform_id}",
            params={"tweet.fields": "public_metrics"},
            item_id=platform_id,
        )
        return dict(response.parse(TweetMetrics, response.parse(SingleTweet).data).public_metrics)

    def _read_timeline(self, path: str, sweep: Sweep, limit: int) -> StreamPage:
        params: dict[str, Any] = {
            **TWEET_FIELDS,
            "max_results": max(MIN_PAGE, min(limit, MAX_PAGE)),
        }
        if sweep.watermark:
            params["since_id"] = sweep.watermark.lstrip("0")
        if sweep.page:
            params["pagination_token"] = sweep.page
        response = self.http.get(path, params=params)
        timeline = response.parse(Timeline)
        records = [
            self._record(raw, timeline.includes, response) for raw in reversed(timeline.data)
        ]
        seen = [_padded(raw["id"]) for raw in timeline.data if "id" in raw]
        # since_id makes X stop at the watermark itself, so a sweep ends when the pages do.
        next_sweep = sweep.advance(
            seen=seen, next_page=timeline.meta.next_token, reached_watermark=False
        )
        return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))

    def _read_messages(self, sweep: Sweep, limit: int) -> StreamPage:
        params: dict[str, Any] = {**DM_FIELDS, "max_results": max(1, min(limit, MAX_PAGE))}
        if sweep.page:
            params["pagination_token"] = sweep.page
        response = self.http.get("/2/dm_events", params=params)
        listing = response.parse(Timeline)
        records: list[ItemRecord] = []
        seen: list[str] = []
        reached = False
        for raw in listing.data:
            position = _padded(str(raw.get("id", "")))
            if sweep.watermark and position <= sweep.watermark:
                reached = True
                continue
            seen.append(position)
            records.append(self._message_record(raw, listing.includes, response))
        records.reverse()  # the listing is newest first
        next_sweep = sweep.advance(
            seen=seen, next_page=listing.meta.next_token, reached_watermark=reached
        )
        return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))

    def _message_record(
        self, raw: dict[str, Any], includes: Includes, response: ApiResponse
    ) -> ItemRecord:
        event = response.parse(DmEvent, raw)
        sender = next(
            (u for u in includes.users if u.id == event.sender_id), XUser(id=event.sender_id)
        )
        return ItemRecord(
            platform_id=event.id,
            kind=ItemKind.MESSAGE,
            text=event.text,
            created_at=event.created_at,
            author_handle=sender.username,
            author_name=sender.name,
            author_platform_id=event.sender_id,
            url=f"https://x.com/messages/{event.dm_conversation_id}"
            if event.dm_conversation_id
            else "",
            parent_platform_id=event.dm_conversation_id,
            media=_media(includes, event.attachments),
            raw=raw,
        )

    def _record(self, raw: dict[str, Any], includes: Includes, response: ApiResponse) -> ItemRecord:
        tweet = response.parse(Tweet, raw)
        author = next(
            (u for u in includes.users if u.id == tweet.author_id), XUser(id=tweet.author_id)
        )
        media = _media(includes, tweet.attachments)
        if tweet.author_id == self.user_id:
            kind = ItemKind.REPLY if tweet.replied_to else ItemKind.POST
        else:
            kind = ItemKind.REPLY if tweet.replied_to else ItemKind.MENTION
        return ItemRecord(
            platform_id=tweet.original_id,
            kind=kind,
            text=tweet.text,
            created_at=tweet.created_at,
            author_handle=author.username,
            author_name=author.name,
            author_platform_id=tweet.author_id,
            url=f"https://x.com/{author.username or 'i'}/status/{tweet.id}",
            parent_platform_id=tweet.replied_to,
            language=tweet.lang if tweet.lang not in ("und", "zxx") else "",
            media=media,
            edited_at=tweet.created_at if len(tweet.edit_history_tweet_ids) > 1 else None,
            raw=raw,
        )

    def _create(self, post: OutgoingPost, *, in_reply_to: str) -> ItemRecord:
        body: dict[str, Any] = {"text": post.text}
        if in_reply_to:
            body["reply"] = {"in_reply_to_tweet_id": in_reply_to}
        if post.media:
            body["media"] = {"media_ids": [self._upload(media) for media in post.media]}
        response = self.http.post("/2/tweets", json=body)
        created = response.parse(SingleTweet).data
        return ItemRecord(
            platform_id=str(created.get("id", "")),
            kind=ItemKind.REPLY if in_reply_to else ItemKind.POST,
            text=str(created.get("text", post.text)),
            created_at=self.now(),
            author_handle=self.handle,
            author_platform_id=self.user_id,
            parent_platform_id=in_reply_to,
            media=post.media,
            raw=response.body,
        )

    def _upload(self, media: MediaRef) -> str:
        if media.kind == "video":
            raise ConnectorError(
                "Civic Desk uploads images to X, not video (X needs a chunked upload for it); "
                "post the video on X directly.",
                permanent=True,
            )
        content, content_type = self.http.download(media.url)
        category = "tweet_gif" if media.kind == "gif" else "tweet_image"
        response = self.http.post(
            "/2/media/upload",
            files={"media": (media.url.rsplit("/", 1)[-1] or "image", content, content_type)},
            data={"media_category": category},
        )
        media_id = response.parse(Uploaded).data.id
        if media.alt_text:
            self.http.post(
                "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": media.alt_text}}},
            )
        return media_id
