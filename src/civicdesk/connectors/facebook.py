"""Facebook Pages through the Graph API.

Reads the Page feed newest first with each post's comments and replies (``filter=stream``)
nested in the same call. A new comment on an older post does not move the post up the feed, so
every sweep re-reads the posts of the last ``lookback_days`` (default 7) before the previous
sweep's newest post; ingest stores a version only when something changed, so re-reading is
cheap for the archive. Webhooks (``feed`` field) deliver changes sooner; this poll is the
reconciliation that catches what a dropped webhook missed.

Facebook reports no edit time for comments, so ``edited_at`` stays empty and an edit shows up as
a new version with new text.

Messages: the Messenger Platform's Conversations API (``/{page-id}/conversations``) lists the
Page's conversations by their latest activity, each with its newest messages nested; a second
sweep reads conversations active since the previous one. Instagram reads its messages through
the same API (:func:`read_conversations`). Needs the ``pages_messaging`` permission; a Page
connected without it sets the option ``read_messages`` to false.

Options: ``page_id``, ``api_version`` (default :data:`meta.DEFAULT_API_VERSION`),
``lookback_days``, ``read_messages`` (default true). Credentials: ``page_access_token`` (or
``access_token``, as the connect page stores it), optional ``app_secret`` (sends
``appsecret_proof``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from civicdesk.connectors import graph_lookup
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
from civicdesk.connectors.cursors import (
    StreamPage,
    StreamReader,
    Sweep,
    position_before,
    position_of,
    read_streams,
)
from civicdesk.connectors.http import ApiResponse, HttpConnector, PlatformClient
from civicdesk.connectors.meta import GraphList, appsecret_proof, graph_client

MAX_PAGE = 100
MAX_THREAD_PAGES = 50
DEFAULT_LOOKBACK_DAYS = 7
COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},permalink_url,is_hidden,attachment"
)
# Conversations per page: each carries its newest messages, so pages stay small.
MAX_CONVERSATIONS = 25
MESSAGES_PER_CONVERSATION = 25
MESSAGE_FIELDS = "id,message,from,to,created_time,attachments"
POST_FIELDS = (
    "id,message,created_time,from{id,name},permalink_url,"
    "attachments{media_type,media,url,description},"
    f"comments.filter(stream).order(reverse_chronological).limit(100){{{COMMENT_FIELDS}}}"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GraphActor(_Model):
    id: str = ""
    name: str = ""
    username: str = ""  # Instagram participants have a username instead of a name


class GraphRef(_Model):
    id: str


class FacebookComment(_Model):
    id: str
    message: str = ""
    created_time: datetime
    # Absent when the commenter's privacy settings hide them from the app.
    from_: GraphActor = Field(default_factory=GraphActor, alias="from")
    parent: GraphRef | None = None
    permalink_url: str = ""
    is_hidden: bool = False
    attachment: dict[str, Any] | None = None


class FacebookPost(_Model):
    id: str
    message: str = ""
    created_time: datetime
    from_: GraphActor = Field(default_factory=GraphActor, alias="from")
    permalink_url: str = ""
    attachments: dict[str, Any] | None = None
    comments: dict[str, Any] | None = None


class GraphConversation(_Model):
    id: str
    updated_time: datetime
    messages: dict[str, Any] | None = None


class GraphMessage(_Model):
    id: str
    message: str = ""
    created_time: datetime
    from_: GraphActor = Field(default_factory=GraphActor, alias="from")
    attachments: dict[str, Any] | None = None


class PublishedId(_Model):
    id: str
    post_id: str = ""


class FacebookConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.FACEBOOK
    capabilities = frozenset(
        {
            Capability.READ_POSTS,
            Capability.READ_COMMENTS,
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
            token = str(
                self.credentials.get("page_access_token") or self.credentials["access_token"]
            )
            params = None
            if self.credentials.get("app_secret"):
                params = {
                    "appsecret_proof": appsecret_proof(
                        access_token=token, app_secret=str(self.credentials["app_secret"])
                    )
                }
            self._http = graph_client(self, token=token, params=params)
        return self._http

    @property
    def page_id(self) -> str:
        return str(self.options["page_id"])

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        readers: dict[str, StreamReader] = {"feed": self._read_feed}
        if self.options.get("read_messages", True):
            readers["messages"] = lambda sweep, n: read_conversations(
                self.http,
                path=f"/{self.page_id}/conversations",
                platform="messenger",
                owner_id=self.page_id,
                owner_handle=self.handle,
                sweep=sweep,
                limit=n,
                messages_per_conversation=MESSAGES_PER_CONVERSATION,
            )
        return read_streams(platform=self.platform, cursor=cursor, limit=limit, readers=readers)

    def fetch_thread(self, *, platform_id: str) -> list[ItemRecord]:
        """The post or comment ``platform_id`` with every comment and reply below it, oldest first.

        A Page post's id starts with the Page's id (``{page-id}_{post-id}``); any other id is a
        comment's (``{post-id}_{comment-id}``).
        """
        if not platform_id.startswith(f"{self.page_id}_"):
            return self._comment_thread(platform_id)
        post = self.http.get(
            f"/{platform_id}",
            params={"fields": "id,message,created_time,from{id,name},permalink_url"},
            item_id=platform_id,
        )
        records = [self._post_record(post.body, post)]
        params: dict[str, Any] = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "chronological",
            "limit": MAX_PAGE,
        }
        for _ in range(MAX_THREAD_PAGES):
            response = self.http.get(f"/{platform_id}/comments", params=params, item_id=platform_id)
            listing = response.parse(GraphList)
            records += [
                self._comment_record(raw, response, post_id=platform_id) for raw in listing.data
            ]
            if not listing.after:
                break
            params = {**params, "after": listing.after}
        return records

    lookup_batch_size = graph_lookup.MAX_IDS
    # Posts and comments need different fields: one call each, and one more for each after
    # Graph names ids that no longer exist.
    lookup_calls = 4

    def lookup(self, *, platform_ids: Sequence[str]) -> LookupResult:
        return graph_lookup.lookup_page_items(self, platform_ids)

    def _comment_thread(self, comment_id: str) -> list[ItemRecord]:
        comment = self.http.get(
            f"/{comment_id}", params={"fields": COMMENT_FIELDS}, item_id=comment_id
        )
        post_id = f"{self.page_id}_{comment_id.split('_')[0]}"
        records = [self._comment_record(comment.body, comment, post_id=post_id)]
        params: dict[str, Any] = {
            "fields": COMMENT_FIELDS,
            "order": "chronological",
            "limit": MAX_PAGE,
        }
        for _ in range(MAX_THREAD_PAGES):
            response = self.http.get(f"/{comment_id}/comments", params=params, item_id=comment_id)
            listing = response.parse(GraphList)
            records += [
                self._comment_record(raw, response, post_id=post_id) for raw in listing.data
            ]
            if not listing.after:
                break
            params = {**params, "after": listing.after}
        return records

    def reply(self, *, parent_platform_id: str, post: OutgoingPost) -> ItemRecord:
        form: dict[str, Any] = {"message": post.text}
        images = [m for m in post.media if m.kind == "image"]
        if images:
            form["attachment_url"] = images[0].url  # a comment carries at most one image
        response = self.http.post(
            f"/{parent_platform_id}/comments", data=form, item_id=parent_platform_id
        )
        created = response.parse(PublishedId)
        return ItemRecord(
            platform_id=created.id,
            kind=ItemKind.REPLY,
            text=post.text,
            created_at=self.now(),
            author_name=self.handle,
            author_platform_id=self.page_id,
            parent_platform_id=parent_platform_id,
            media=tuple(images[:1]),
            raw=response.body,
        )

    def hide(self, *, platform_id: str, hidden: bool = True) -> None:
        self.http.post(
            f"/{platform_id}",
            data={"is_hidden": "true" if hidden else "false"},
            item_id=platform_id,
        )

    def delete(self, *, platform_id: str) -> None:
        try:
            self.http.delete(f"/{platform_id}", item_id=platform_id)
        except ItemGone:
            return

    def publish(self, *, post: OutgoingPost) -> ItemRecord:
        videos = [m for m in post.media if m.kind == "video"]
        images = [m for m in post.media if m.kind in ("image", "gif")]
        if videos and (images or len(videos) > 1):
            raise ConnectorError(
                "A Facebook post can carry one video or several images, not both.", permanent=True
            )
        if videos:
            response = self.http.post(
                f"/{self.page_id}/videos",
                data={"file_url": videos[0].url, "description": post.text},
            )
        elif len(images) == 1:
            response = self.http.post(
                f"/{self.page_id}/photos",
                data={
                    "url": images[0].url,
                    "caption": post.text,
                    "alt_text_custom": images[0].alt_text,
                },
            )
        elif images:
            # Several photos: upload each unpublished (with its own alt text), then one post.
            photo_ids = [
                self.http.post(
                    f"/{self.page_id}/photos",
                    data={
                        "url": image.url,
                        "published": "false",
                        "alt_text_custom": image.alt_text,
                    },
                )
                .parse(PublishedId)
                .id
                for image in images
            ]
            form: dict[str, Any] = {"message": post.text}
            for index, photo_id in enumerate(photo_ids):
                form[f"attached_media[{index}]"] = f'{{"media_fbid":"{photo_id}"}}'
            response = self.http.post(f"/{self.page_id}/feed", data=form)
        else:
            response = self.http.post(f"/{self.page_id}/feed", data={"message": post.text})
        created = response.parse(PublishedId)
        return ItemRecord(
            platform_id=created.post_id or created.id,
            kind=ItemKind.POST,
            text=post.text,
            created_at=self.now(),
            author_name=self.handle,
            author_platform_id=self.page_id,
            media=post.media,
            raw=response.body,
        )

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        response = self.http.get(
            f"/{platform_id}",
            params={
                "fields": "shares,reactions.summary(total_count).limit(0),"
                "comments.summary(total_count).limit(0)"
            },
            item_id=platform_id,
        )
        body = response.body or {}
        return {
            "reactions": int(
                ((body.get("reactions") or {}).get("summary") or {}).get("total_count", 0)
            ),
            "comments": int(
                ((body.get("comments") or {}).get("summary") or {}).get("total_count", 0)
            ),
            "shares": int((body.get("shares") or {}).get("count", 0)),
        }

    def _read_feed(self, sweep: Sweep, limit: int) -> StreamPage:
        params: dict[str, Any] = {"fields": POST_FIELDS, "limit": max(1, min(limit, MAX_PAGE))}
        if sweep.page:
            params["after"] = sweep.page
        response = self.http.get(f"/{self.page_id}/feed", params=params)
        listing = response.parse(GraphList)
        lookback = timedelta(days=int(self.options.get("lookback_days", DEFAULT_LOOKBACK_DAYS)))
        floor = position_before(sweep.watermark, lookback)
        records: list[ItemRecord] = []
        seen: list[str] = []
        reached = False
        for raw in reversed(listing.data):  # oldest first
            post = response.parse(FacebookPost, raw)
            position = position_of(post.created_time)
            if floor and position <= floor:
                reached = True
                continue
            seen.append(position)
            records.append(self._post_record(raw, response))
            comments = GraphList.model_validate(post.comments or {"data": []}).data
            # Nested comments come newest first (reverse_chronological keeps the newest in the
            # first 100); the page goes out oldest first.
            records += [
                self._comment_record(c, response, post_id=post.id) for c in reversed(comments)
            ]
        next_sweep = sweep.advance(seen=seen, next_page=listing.after, reached_watermark=reached)
        return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))

    def _post_record(self, raw: dict[str, Any], response: ApiResponse) -> ItemRecord:
        post = response.parse(FacebookPost, raw)
        media: list[MediaRef] = []
        for attachment in (post.attachments or {}).get("data") or []:
            image = ((attachment.get("media") or {}).get("image") or {}).get("src")
            if image:
                kind = "video" if "video" in str(attachment.get("media_type", "")) else "image"
                media.append(MediaRef(url=str(image), kind=kind))
        return ItemRecord(
            platform_id=post.id,
            kind=ItemKind.POST,
            text=post.message,
            created_at=post.created_time,
            author_name=post.from_.name,
            author_platform_id=post.from_.id,
            url=post.permalink_url,
            media=tuple(media),
            raw=raw,
        )

    def _comment_record(
        self, raw: dict[str, Any], response: ApiResponse, *, post_id: str
    ) -> ItemRecord:
        comment = response.parse(FacebookComment, raw)
        image = ((comment.attachment or {}).get("media") or {}).get("image") or {}
        return ItemRecord(
            platform_id=comment.id,
            kind=ItemKind.REPLY if comment.parent else ItemKind.COMMENT,
            text=comment.message,
            created_at=comment.created_time,
            author_name=comment.from_.name,
            author_platform_id=comment.from_.id,
            url=comment.permalink_url,
            parent_platform_id=comment.parent.id if comment.parent else post_id,
            media=(MediaRef(url=str(image["src"])),) if image.get("src") else (),
            is_hidden=comment.is_hidden,
            raw=raw,
        )


def read_conversations(
    http: PlatformClient,
    *,
    path: str,
    platform: str,
    owner_id: str,
    owner_handle: str,
    sweep: Sweep,
    limit: int,
    messages_per_conversation: int,
) -> StreamPage:
    """One page of a Page's (or Instagram account's) conversations, as ``message`` items.

    Conversations come most recently active first, so a sweep ends at the first one not active
    since the previous sweep. Each message's parent is its conversation, so a conversation reads
    as one thread. Only the newest ``messages_per_conversation`` of each conversation are read.
    """
    params: dict[str, Any] = {
        "platform": platform,
        "fields": f"id,updated_time,messages.limit({messages_per_conversation})"
        f"{{{MESSAGE_FIELDS}}}",
        "limit": max(1, min(limit, MAX_CONVERSATIONS)),
    }
    if sweep.page:
        params["after"] = sweep.page
    response = http.get(path, params=params)
    listing = response.parse(GraphList)
    records: list[ItemRecord] = []
    seen: list[str] = []
    reached = False
    for raw in reversed(listing.data):  # least recently active first
        conversation = response.parse(GraphConversation, raw)
        position = position_of(conversation.updated_time)
        if sweep.watermark and position <= sweep.watermark:
            reached = True
            continue
        seen.append(position)
        messages = GraphList.model_validate(conversation.messages or {"data": []}).data
        for message in reversed(messages):  # nested messages come newest first
            records.append(
                _message_record(
                    response.parse(GraphMessage, message),
                    message,
                    conversation_id=conversation.id,
                    owner_id=owner_id,
                    owner_handle=owner_handle,
                )
            )
    next_sweep = sweep.advance(seen=seen, next_page=listing.after, reached_watermark=reached)
    return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))


def _message_record(
    message: GraphMessage,
    raw: dict[str, Any],
    *,
    conversation_id: str,
    owner_id: str,
    owner_handle: str,
) -> ItemRecord:
    sender = message.from_
    media: list[MediaRef] = []
    for attachment in (message.attachments or {}).get("data") or []:
        image = (attachment.get("image_data") or {}).get("url")
        video = (attachment.get("video_data") or {}).get("url")
        if image:
            kind = (
                "gif" if (attachment.get("image_data") or {}).get("animated_gif_url") else "image"
            )
            media.append(MediaRef(url=str(image), kind=kind))
        elif video:
            media.append(MediaRef(url=str(video), kind="video"))
        elif attachment.get("file_url"):
            media.append(MediaRef(url=str(attachment["file_url"]), kind="link"))
    return ItemRecord(
        platform_id=message.id,
        kind=ItemKind.MESSAGE,
        text=message.message,
        created_at=message.created_time,
        # The account's own messages carry its handle, so the inbox knows they need no answer.
        author_handle=sender.username or (owner_handle if sender.id == owner_id else ""),
        author_name=sender.name,
        author_platform_id=sender.id,
        parent_platform_id=conversation_id,
        media=tuple(media),
        raw=raw,
    )
