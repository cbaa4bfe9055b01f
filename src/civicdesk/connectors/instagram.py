"""Instagram professional accounts through the Instagram Graph API.

Reads the account's media newest first with comments and their replies nested in the same call,
and, like Facebook, re-reads the last ``lookback_days`` each sweep because a new comment does
not move a post up the list. Instagram comments cannot be edited and report no edit time.

Publishing is Meta's two-step container flow: create a container per image or video (Meta
fetches the file from its public URL), then ``media_publish``. ``alt_text`` is sent for images;
Meta does not accept it for Reels. Video containers are processed in the background, so their
``status_code`` is polled until ``FINISHED`` before publishing.

Messages: the Conversations API with ``platform=instagram``, read as Facebook reads a Page's
(:func:`civicdesk.connectors.facebook.read_conversations`). With Facebook Login the conversations
belong to the linked Page (option ``page_id``); with Instagram Login to the Instagram account.
Instagram lets an app read only the 20 newest messages of a conversation. Needs
``instagram_manage_messages`` (or ``instagram_business_manage_messages``); an account connected
without it sets the option ``read_messages`` to false.

Options: ``ig_user_id``, ``graph_host`` (``graph.facebook.com`` with Facebook Login, the
default, or ``graph.instagram.com`` with Instagram Login), ``page_id`` (the linked Page, with
Facebook Login), ``api_version``, ``lookback_days``, ``read_messages`` (default true).
Credentials: ``access_token`` (an Instagram Login token is extended by
:mod:`civicdesk.accounts.tokens` when Instagram refuses it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from civicdesk.connectors.base import (
    Capability,
    ConnectorError,
    FetchPage,
    ItemGone,
    ItemKind,
    ItemRecord,
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
from civicdesk.connectors.facebook import read_conversations
from civicdesk.connectors.http import ApiResponse, HttpConnector, PlatformClient
from civicdesk.connectors.meta import GraphList, graph_client

MAX_PAGE = 100
MAX_THREAD_PAGES = 50
MAX_CAROUSEL = 10
DEFAULT_LOOKBACK_DAYS = 7
CONTAINER_POLLS = 20
# Instagram answers for the 20 newest messages of a conversation and calls older ones deleted.
MESSAGES_PER_CONVERSATION = 20
_COMMENT = "id,text,timestamp,username,from,hidden,like_count,parent_id"
COMMENT_FIELDS = f"{_COMMENT},replies{{{_COMMENT}}}"
MEDIA_FIELDS = (
    "id,caption,timestamp,permalink,media_type,media_url,thumbnail_url,username,"
    f"like_count,comments_count,comments.limit(50){{{COMMENT_FIELDS}}}"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class IgUser(_Model):
    id: str = ""
    username: str = ""


class IgComment(_Model):
    id: str
    text: str = ""
    timestamp: datetime
    username: str = ""
    from_: IgUser = Field(default_factory=IgUser, alias="from")
    hidden: bool = False
    parent_id: str = ""
    replies: dict[str, Any] | None = None


class IgMedia(_Model):
    id: str
    caption: str = ""
    timestamp: datetime
    permalink: str = ""
    media_type: str = "IMAGE"
    media_url: str = ""
    thumbnail_url: str = ""
    username: str = ""
    like_count: int = 0
    comments_count: int = 0
    comments: dict[str, Any] | None = None


class CreatedId(_Model):
    id: str


class InstagramConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.INSTAGRAM
    capabilities = frozenset(
        {
            Capability.READ_POSTS,
            Capability.READ_COMMENTS,
            Capability.READ_MESSAGES,
            Capability.FETCH_THREAD,
            Capability.REPLY,
            Capability.HIDE,
            Capability.DELETE,
            Capability.PUBLISH_MEDIA,
            Capability.METRICS,
        }
    )

    @property
    def http(self) -> PlatformClient:
        if not hasattr(self, "_http"):
            self._http = graph_client(
                self,
                token=str(self.credentials["access_token"]),
                host=str(self.options.get("graph_host", "graph.facebook.com")),
            )
        return self._http

    @property
    def user_id(self) -> str:
        return str(self.options["ig_user_id"])

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        readers: dict[str, StreamReader] = {"media": self._read_media}
        if self.options.get("read_messages", True):
            owner = str(self.options.get("page_id") or self.user_id)
            readers["messages"] = lambda sweep, n: read_conversations(
                self.http,
                path=f"/{owner}/conversations",
                platform="instagram",
                owner_id=self.user_id,
                owner_handle=self.handle,
                sweep=sweep,
                limit=n,
                messages_per_conversation=MESSAGES_PER_CONVERSATION,
            )
        return read_streams(platform=self.platform, cursor=cursor, limit=limit, readers=readers)

    def fetch_thread(self, *, platform_id: str) -> list[ItemRecord]:
        """The media ``platform_id`` with all its comments and replies, oldest first."""
        media = self.http.get(
            f"/{platform_id}",
            params={"fields": "id,caption,timestamp,permalink,media_type,media_url,username"},
            item_id=platform_id,
        )
        records = [self._media_record(media.body, media)]
        params: dict[str, Any] = {"fields": COMMENT_FIELDS, "limit": MAX_PAGE}
        comments: list[ItemRecord] = []
        for _ in range(MAX_THREAD_PAGES):
            response = self.http.get(f"/{platform_id}/comments", params=params, item_id=platform_id)
            listing = response.parse(GraphList)
            for raw in listing.data:
                comments += self._comment_records(raw, response, media_id=platform_id)
            if not listing.after:
                break
            params = {**params, "after": listing.after}
        return records + sorted(comments, key=lambda r: r.created_at)

    def reply(self, *, parent_platform_id: str, post: OutgoingPost) -> ItemRecord:
        """Reply to the comment ``parent_platform_id`` (Instagram threads are one level deep)."""
        response = self.http.post(
            f"/{parent_platform_id}/replies",
            data={"message": post.text},
            item_id=parent_platform_id,
        )
        return ItemRecord(
            platform_id=response.parse(CreatedId).id,
            kind=ItemKind.REPLY,
            text=post.text,
            created_at=self.now(),
            author_handle=self.handle,
            author_platform_id=self.user_id,
            parent_platform_id=parent_platform_id,
            raw=response.body,
        )

    def hide(self, *, platform_id: str, hidden: bool = True) -> None:
        self.http.post(
            f"/{platform_id}", data={"hide": "true" if hidden else "false"}, item_id=platform_id
        )

    def delete(self, *, platform_id: str) -> None:
        try:
            self.http.delete(f"/{platform_id}", item_id=platform_id)
        except ItemGone:
            return

    def publish(self, *, post: OutgoingPost) -> ItemRecord:
        if not post.media:
            raise ConnectorError(
                "An Instagram post needs at least one image or video.", permanent=True
            )
        if len(post.media) > MAX_CAROUSEL:
            raise ConnectorError(
                f"An Instagram carousel holds at most {MAX_CAROUSEL} items.", permanent=True
            )
        if len(post.media) == 1:
            container = self._container(post.media[0], caption=post.text)
        else:
            children = [self._container(media, carousel_item=True) for media in post.media]
            container = (
                self.http.post(
                    f"/{self.user_id}/media",
                    data={
                        "media_type": "CAROUSEL",
                        "children": ",".join(children),
                        "caption": post.text,
                    },
                )
                .parse(CreatedId)
                .id
            )
            self._wait_until_ready(container)
        response = self.http.post(f"/{self.user_id}/media_publish", data={"creation_id": container})
        return ItemRecord(
            platform_id=response.parse(CreatedId).id,
            kind=ItemKind.POST,
            text=post.text,
            created_at=self.now(),
            author_handle=self.handle,
            author_platform_id=self.user_id,
            media=post.media,
            raw=response.body,
        )

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        response = self.http.get(
            f"/{platform_id}", params={"fields": "like_count,comments_count"}, item_id=platform_id
        )
        body = response.body or {}
        return {
            "likes": int(body.get("like_count", 0)),
            "comments": int(body.get("comments_count", 0)),
        }

    def _container(self, media: MediaRef, *, caption: str = "", carousel_item: bool = False) -> str:
        form: dict[str, Any] = {}
        if media.kind == "video":
            form = {"media_type": "VIDEO" if carousel_item else "REELS", "video_url": media.url}
        else:
            form = {"image_url": media.url, "alt_text": media.alt_text}
        if carousel_item:
            form["is_carousel_item"] = "true"
        else:
            form["caption"] = caption
        container = self.http.post(f"/{self.user_id}/media", data=form).parse(CreatedId).id
        if media.kind == "video":
            self._wait_until_ready(container)
        return container

    def _wait_until_ready(self, container: str) -> None:
        for poll in range(CONTAINER_POLLS):
            status = (
                self.http.get(f"/{container}", params={"fields": "status_code"}).body or {}
            ).get("status_code")
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                raise ConnectorError(
                    f"Instagram could not process the media ({status}).", permanent=True
                )
            self._sleep(min(5.0 * (poll + 1), 30.0))
        raise ConnectorError(
            "Instagram is still processing the media; try publishing again later.", retry_after=300
        )

    def _read_media(self, sweep: Sweep, limit: int) -> StreamPage:
        params: dict[str, Any] = {"fields": MEDIA_FIELDS, "limit": max(1, min(limit, MAX_PAGE))}
        if sweep.page:
            params["after"] = sweep.page
        response = self.http.get(f"/{self.user_id}/media", params=params)
        listing = response.parse(GraphList)
        lookback = timedelta(days=int(self.options.get("lookback_days", DEFAULT_LOOKBACK_DAYS)))
        floor = position_before(sweep.watermark, lookback)
        records: list[ItemRecord] = []
        seen: list[str] = []
        reached = False
        for raw in reversed(listing.data):  # oldest first
            media = response.parse(IgMedia, raw)
            position = position_of(media.timestamp)
            if floor and position <= floor:
                reached = True
                continue
            seen.append(position)
            records.append(self._media_record(raw, response))
            comments: list[ItemRecord] = []
            for comment in GraphList.model_validate(media.comments or {"data": []}).data:
                comments += self._comment_records(comment, response, media_id=media.id)
            records += sorted(comments, key=lambda r: r.created_at)
        next_sweep = sweep.advance(seen=seen, next_page=listing.after, reached_watermark=reached)
        return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))

    def _media_record(self, raw: dict[str, Any], response: ApiResponse) -> ItemRecord:
        media = response.parse(IgMedia, raw)
        kind = "video" if media.media_type == "VIDEO" else "image"
        return ItemRecord(
            platform_id=media.id,
            kind=ItemKind.POST,
            text=media.caption,
            created_at=media.timestamp,
            author_handle=media.username,
            url=media.permalink,
            media=(MediaRef(url=media.media_url, kind=kind),) if media.media_url else (),
            raw=raw,
        )

    def _comment_records(
        self, raw: dict[str, Any], response: ApiResponse, *, media_id: str, parent_id: str = ""
    ) -> list[ItemRecord]:
        """The comment and the replies nested under it."""
        comment = response.parse(IgComment, raw)
        parent_id = comment.parent_id or parent_id
        records = [
            ItemRecord(
                platform_id=comment.id,
                kind=ItemKind.REPLY if parent_id else ItemKind.COMMENT,
                text=comment.text,
                created_at=comment.timestamp,
                author_handle=comment.username or comment.from_.username,
                author_platform_id=comment.from_.id,
                parent_platform_id=parent_id or media_id,
                is_hidden=comment.hidden,
                raw=raw,
            )
        ]
        for reply in GraphList.model_validate(comment.replies or {"data": []}).data:
            records += self._comment_records(
                reply, response, media_id=media_id, parent_id=comment.id
            )
        return records
