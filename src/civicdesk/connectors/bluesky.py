"""Bluesky through AT Protocol XRPC calls to the account's PDS (which proxies ``app.bsky.*``).

Reads: ``app.bsky.notification.listNotifications`` (replies, mentions, quotes) and
``app.bsky.feed.getAuthorFeed`` (the account's own posts), both newest first, read in sweeps
down to the last ``indexedAt`` seen. Post text is already plain; facets (links, mentions, tags)
stay in ``raw``.

Hiding a reply means adding its AT-URI to ``hiddenReplies`` in the threadgate record of the
thread's root post, which must be the agency's own post; the record is rewritten with
``swapRecord`` so a concurrent edit fails instead of being overwritten. Only the account's own
records can be deleted.

Sessions: an app-password session (``createSession``) is limited to 30 per 5 minutes, so the
access and refresh JWTs are kept in the credentials and refreshed with ``refreshSession`` when the
PDS answers ``ExpiredToken``; read :attr:`BlueskyConnector.current_credentials` afterwards and
store it. The atproto SDK was not used for network I/O so that rate limits are handled in
:mod:`civicdesk.connectors.http` like every other platform.

Options: ``service`` (PDS base URL, default ``https://bsky.social``). Credentials: ``did``,
``access_jwt``, ``refresh_jwt``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from civicdesk.connectors import bluesky_lookup
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
from civicdesk.connectors.cursors import StreamPage, Sweep, position_of, read_streams
from civicdesk.connectors.http import ApiResponse, HttpConnector, PlatformClient

DEFAULT_SERVICE = "https://bsky.social"
MAX_PAGE = 100
MAX_IMAGES = 4
POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
READ_REASONS = frozenset({"reply", "mention", "quote"})
_LINK = re.compile(r"https?://[^\s<>\"')\]]+")
_TAG = re.compile(r"(?<![\w#])#([^\s#\d][^\s#]{0,63})")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class StrongRef(_Model):
    uri: str
    cid: str


class ReplyRef(_Model):
    root: StrongRef
    parent: StrongRef


class PostRecord(_Model):
    text: str = ""
    created_at: datetime = Field(alias="createdAt")
    reply: ReplyRef | None = None
    langs: list[str] = []
    embed: dict[str, Any] | None = None


class Author(_Model):
    did: str
    handle: str = ""
    display_name: str = Field("", alias="displayName")


class PostView(_Model):
    uri: str
    cid: str
    author: Author
    record: dict[str, Any]
    embed: dict[str, Any] | None = None
    indexed_at: datetime = Field(alias="indexedAt")
    reply_count: int = Field(0, alias="replyCount")
    repost_count: int = Field(0, alias="repostCount")
    like_count: int = Field(0, alias="likeCount")
    quote_count: int = Field(0, alias="quoteCount")
    threadgate: dict[str, Any] | None = None


class Notification(_Model):
    uri: str
    cid: str
    author: Author
    reason: str
    record: dict[str, Any]
    indexed_at: datetime = Field(alias="indexedAt")


class NotificationList(_Model):
    notifications: list[dict[str, Any]]
    cursor: str | None = None


class FeedItem(_Model):
    post: dict[str, Any]
    reason: dict[str, Any] | None = None


class AuthorFeed(_Model):
    feed: list[FeedItem]
    cursor: str | None = None


class PostList(_Model):
    posts: list[dict[str, Any]]


class CreatedRecord(_Model):
    uri: str
    cid: str


class StoredRecord(_Model):
    uri: str
    cid: str | None = None
    value: dict[str, Any]


class Session(_Model):
    did: str
    access_jwt: str = Field(alias="accessJwt")
    refresh_jwt: str = Field(alias="refreshJwt")


def split_at_uri(uri: str) -> tuple[str, str, str]:
    """(repo did, collection, record key) of ``at://did/collection/rkey``."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3:
        raise ConnectorError(f"{uri!r} is not the address of a Bluesky record.", permanent=True)
    return parts[0], parts[1], parts[2]


def facets_for(text: str) -> list[dict[str, Any]]:
    """Link and hashtag facets; offsets count UTF-8 bytes, as the richtext lexicon requires."""
    facets: list[dict[str, Any]] = []

    def byte_span(start: int, end: int) -> dict[str, int]:
        return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}

    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        facets.append(
            {
                "index": byte_span(match.start(), match.start() + len(url)),
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    for match in _TAG.finditer(text):
        facets.append(
            {
                "index": byte_span(match.start(), match.end()),
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": match.group(1)}],
            }
        )
    return facets


def _classify(response: httpx.Response, body: Any, item_id: str) -> ConnectorError | None:
    if response.is_success or not isinstance(body, dict):
        return None
    error = body.get("error")
    if error in ("ExpiredToken", "InvalidToken", "AuthenticationRequired"):
        return ConnectorError(
            f"Bluesky no longer accepts this account's session ({error}). Reconnect the account.",
            needs_reconnect=True,
        )
    if error in ("NotFound", "RecordNotFound") and item_id:
        return ItemGone(Platform.BLUESKY.label, item_id)
    return None


class BlueskyConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.BLUESKY
    capabilities = frozenset(
        {
            Capability.READ_POSTS,
            Capability.READ_COMMENTS,
            Capability.READ_MENTIONS,
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
            self._session = {
                "did": str(self.credentials["did"]),
                "access_jwt": str(self.credentials["access_jwt"]),
                "refresh_jwt": str(self.credentials["refresh_jwt"]),
            }
            self._http = self.make_client(
                base_url=str(self.options.get("service", DEFAULT_SERVICE)).rstrip("/"),
                headers={"Authorization": f"Bearer {self._session['access_jwt']}"},
                classify_error=_classify,
            )
        return self._http

    lookup_batch_size = bluesky_lookup.MAX_URIS
    lookup_calls = 2

    @property
    def did(self) -> str:
        return str(self.credentials["did"])

    @property
    def current_credentials(self) -> dict[str, str]:
        """The session to store after a call: the JWTs change when the session is refreshed."""
        self.http  # noqa: B018 - creates the session from the credentials on first use
        return dict(self._session)

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        return read_streams(
            platform=self.platform,
            cursor=cursor,
            limit=limit,
            readers={"notifications": self._read_notifications, "posts": self._read_own_posts},
        )

    def fetch_thread(self, *, platform_id: str) -> list[ItemRecord]:
        response = self._call(
            "GET",
            "/xrpc/app.bsky.feed.getPostThread",
            params={"uri": platform_id, "depth": 100, "parentHeight": 100},
            item_id=platform_id,
        )
        thread = (response.body or {}).get("thread") or {}
        kind = thread.get("$type", "")
        if kind.endswith("#notFoundPost"):
            raise ItemGone(self.platform.label, platform_id)
        if not kind.endswith("#threadViewPost"):
            raise ConnectorError(
                f"Bluesky will not show the thread of {platform_id} to this account ({kind}).",
                permanent=True,
            )
        ancestors: list[dict[str, Any]] = []
        parent = thread.get("parent")
        while isinstance(parent, dict) and parent.get("post"):
            ancestors.insert(0, parent["post"])
            parent = parent.get("parent")
        descendants: list[dict[str, Any]] = []
        pending = list(thread.get("replies") or [])
        while pending:
            node = pending.pop(0)
            if isinstance(node, dict) and node.get("post"):
                descendants.append(node["post"])
                pending.extend(node.get("replies") or [])
        root_view = ancestors[0] if ancestors else thread["post"]
        gate = (root_view.get("threadgate") or {}).get("record") or {}
        hidden = set(gate.get("hiddenReplies") or [])
        return [
            self._post_record(raw, response, hidden=raw.get("uri") in hidden)
            for raw in [*ancestors, thread["post"], *descendants]
        ]

    def lookup(self, *, platform_ids: Sequence[str]) -> LookupResult:
        return bluesky_lookup.lookup_posts(self, platform_ids)

    def reply(self, *, parent_platform_id: str, post: OutgoingPost) -> ItemRecord:
        parent = self._get_post(parent_platform_id)
        own = PostRecord.model_validate(parent.record)
        root = own.reply.root if own.reply else StrongRef(uri=parent.uri, cid=parent.cid)
        reply = {"root": root.model_dump(), "parent": {"uri": parent.uri, "cid": parent.cid}}
        return self._create_post(post, reply=reply)

    def publish(self, *, post: OutgoingPost) -> ItemRecord:
        if post.reply_to_platform_id:
            return self.reply(parent_platform_id=post.reply_to_platform_id, post=post)
        return self._create_post(post, reply=None)

    def hide(self, *, platform_id: str, hidden: bool = True) -> None:
        reply = self._get_post(platform_id)
        record = PostRecord.model_validate(reply.record)
        if record.reply is None:
            raise ConnectorError(
                "Bluesky can only hide replies, and this post is not a reply.", permanent=True
            )
        root_repo, _, root_rkey = split_at_uri(record.reply.root.uri)
        if root_repo != self.did:
            raise ConnectorError(
                "Bluesky only lets the thread's author hide replies, and this thread was "
                "started by another account.",
                permanent=True,
            )
        gate, swap = self._threadgate(root_rkey, root_uri=record.reply.root.uri)
        hidden_replies = [uri for uri in gate.get("hiddenReplies") or [] if uri != platform_id]
        if hidden:
            hidden_replies.append(platform_id)
        self._call(
            "POST",
            "/xrpc/com.atproto.repo.putRecord",
            json={
                "repo": self.did,
                "collection": THREADGATE,
                "rkey": root_rkey,
                "record": {**gate, "hiddenReplies": hidden_replies},
                "swapRecord": swap,
            },
        )

    def delete(self, *, platform_id: str) -> None:
        repo, collection, rkey = split_at_uri(platform_id)
        if repo != self.did:
            raise ConnectorError(
                "Bluesky only lets an account delete its own posts; hide the reply instead.",
                permanent=True,
            )
        # deleteRecord succeeds for a record that is already gone, so a repeat is harmless.
        self._call(
            "POST",
            "/xrpc/com.atproto.repo.deleteRecord",
            json={"repo": repo, "collection": collection, "rkey": rkey},
        )

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        view = self._get_post(platform_id)
        return {
            "likes": view.like_count,
            "reposts": view.repost_count,
            "replies": view.reply_count,
            "quotes": view.quote_count,
        }

    def _call(self, method: str, path: str, **kwargs: Any) -> ApiResponse:
        try:
            return self.http.request(method, path, **kwargs)
        except ConnectorError as error:
            if not error.needs_reconnect or not self._refresh_session():
                raise
            return self.http.request(method, path, **kwargs)

    def _refresh_session(self) -> bool:
        try:
            response = self.http.post(
                "/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {self._session['refresh_jwt']}"},
            )
        except ConnectorError as error:
            if error.needs_reconnect or error.permanent:
                return False
            raise
        session = response.parse(Session)
        self._session = {
            "did": session.did,
            "access_jwt": session.access_jwt,
            "refresh_jwt": session.refresh_jwt,
        }
        self.http.set_header("Authorization", f"Bearer {session.access_jwt}")
        return True

    def _read_notifications(self, sweep: Sweep, limit: int) -> StreamPage:
        params: dict[str, Any] = {"limit": max(1, min(limit, MAX_PAGE))}
        if sweep.page:
            params["cursor"] = sweep.page
        response = self._call("GET", "/xrpc/app.bsky.notification.listNotifications", params=params)
        listing = response.parse(NotificationList)
        records: list[ItemRecord] = []
        seen: list[str] = []
        reached = False
        for raw in listing.notifications:
            note = response.parse(Notification, raw)
            position = position_of(note.indexed_at)
            if sweep.watermark and position <= sweep.watermark:
                reached = True
                continue
            seen.append(position)
            if note.reason in READ_REASONS:
                records.append(self._notification_record(note, raw, response))
        records.reverse()  # the listing is newest first
        next_sweep = sweep.advance(
            seen=seen, next_page=listing.cursor or "", reached_watermark=reached
        )
        return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))

    def _read_own_posts(self, sweep: Sweep, limit: int) -> StreamPage:
        params: dict[str, Any] = {
            "actor": self.did,
            "limit": max(1, min(limit, MAX_PAGE)),
            "filter": "posts_with_replies",
        }
        if sweep.page:
            params["cursor"] = sweep.page
        response = self._call("GET", "/xrpc/app.bsky.feed.getAuthorFeed", params=params)
        feed = response.parse(AuthorFeed)
        records: list[ItemRecord] = []
        seen: list[str] = []
        reached = False
        for item in feed.feed:
            if item.reason is not None:
                continue  # a repost by the account, not its own post
            view = response.parse(PostView, item.post)
            position = position_of(view.indexed_at)
            if sweep.watermark and position <= sweep.watermark:
                reached = True
                continue
            seen.append(position)
            records.append(self._post_record(item.post, response))
        records.reverse()
        next_sweep = sweep.advance(
            seen=seen, next_page=feed.cursor or "", reached_watermark=reached
        )
        return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))

    def _notification_record(
        self, note: Notification, raw: dict[str, Any], response: ApiResponse
    ) -> ItemRecord:
        record = response.parse(PostRecord, note.record)
        kind = ItemKind.REPLY if note.reason == "reply" else ItemKind.MENTION
        return self._record(
            uri=note.uri,
            author=note.author,
            record=record,
            kind=kind,
            raw=raw,
            media=_record_media(note.author.did, record.embed),
        )

    def _post_record(
        self, raw: dict[str, Any], response: ApiResponse, *, hidden: bool = False
    ) -> ItemRecord:
        view = response.parse(PostView, raw)
        record = response.parse(PostRecord, view.record)
        if view.author.did == self.did:
            kind = ItemKind.REPLY if record.reply else ItemKind.POST
        else:
            kind = ItemKind.REPLY if record.reply else ItemKind.MENTION
        media = _view_media(view.embed) or _record_media(view.author.did, record.embed)
        return self._record(
            uri=view.uri,
            author=view.author,
            record=record,
            kind=kind,
            raw=raw,
            media=media,
            hidden=hidden,
        )

    def _record(
        self,
        *,
        uri: str,
        author: Author,
        record: PostRecord,
        kind: ItemKind,
        raw: dict[str, Any],
        media: tuple[MediaRef, ...],
        hidden: bool = False,
    ) -> ItemRecord:
        _, _, rkey = split_at_uri(uri)
        return ItemRecord(
            platform_id=uri,
            kind=kind,
            text=record.text,
            created_at=record.created_at,
            author_handle=author.handle,
            author_name=author.display_name,
            author_platform_id=author.did,
            url=f"https://bsky.app/profile/{author.handle or author.did}/post/{rkey}",
            parent_platform_id=record.reply.parent.uri if record.reply else "",
            language=record.langs[0] if record.langs else "",
            media=media,
            is_hidden=hidden,
            raw=raw,
        )

    def _get_post(self, uri: str) -> PostView:
        response = self._call(
            "GET", "/xrpc/app.bsky.feed.getPosts", params={"uris": uri}, item_id=uri
        )
        posts = response.parse(PostList).posts
        if not posts:
            raise ItemGone(self.platform.label, uri)
        return response.parse(PostView, posts[0])

    def _threadgate(self, rkey: str, *, root_uri: str) -> tuple[dict[str, Any], str | None]:
        """The root post's threadgate and its CID, or a new one (no ``allow``: anyone may reply)."""
        try:
            response = self._call(
                "GET",
                "/xrpc/com.atproto.repo.getRecord",
                params={"repo": self.did, "collection": THREADGATE, "rkey": rkey},
                item_id=f"at://{self.did}/{THREADGATE}/{rkey}",
            )
        except ItemGone:
            created = self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            return {"$type": THREADGATE, "post": root_uri, "createdAt": created}, None
        stored = response.parse(StoredRecord)
        return dict(stored.value), stored.cid

    def _create_post(self, post: OutgoingPost, *, reply: dict[str, Any] | None) -> ItemRecord:
        created_at = datetime.fromtimestamp(self._clock(), tz=UTC)
        record: dict[str, Any] = {
            "$type": POST,
            "text": post.text,
            "createdAt": created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        if facets := facets_for(post.text):
            record["facets"] = facets
        if post.language:
            record["langs"] = [post.language]
        if reply:
            record["reply"] = reply
        if post.media:
            record["embed"] = self._embed(post.media)
        response = self._call(
            "POST",
            "/xrpc/com.atproto.repo.createRecord",
            json={"repo": self.did, "collection": POST, "record": record},
        )
        created = response.parse(CreatedRecord)
        return ItemRecord(
            platform_id=created.uri,
            kind=ItemKind.REPLY if reply else ItemKind.POST,
            text=post.text,
            created_at=created_at,
            author_handle=self.handle,
            author_platform_id=self.did,
            url=f"https://bsky.app/profile/{self.did}/post/{split_at_uri(created.uri)[2]}",
            parent_platform_id=reply["parent"]["uri"] if reply else "",
            language=post.language,
            media=post.media,
            raw={"record": record, "response": response.body},
        )

    def _embed(self, media: tuple[MediaRef, ...]) -> dict[str, Any]:
        videos = [m for m in media if m.kind == "video"]
        if videos:
            if len(media) > 1:
                raise ConnectorError(
                    "A Bluesky post can carry one video and nothing else.", permanent=True
                )
            return {
                "$type": "app.bsky.embed.video",
                "video": self._upload(videos[0]),
                "alt": videos[0].alt_text,
            }
        if len(media) > MAX_IMAGES:
            raise ConnectorError(
                f"A Bluesky post can carry at most {MAX_IMAGES} images.", permanent=True
            )
        if any(not m.alt_text.strip() for m in media):
            raise ConnectorError(
                "Bluesky requires alt text on every image; add it and try again.", permanent=True
            )
        return {
            "$type": "app.bsky.embed.images",
            "images": [{"alt": m.alt_text, "image": self._upload(m)} for m in media],
        }

    def _upload(self, media: MediaRef) -> dict[str, Any]:
        content, content_type = self.http.download(media.url)
        response = self._call(
            "POST",
            "/xrpc/com.atproto.repo.uploadBlob",
            content=content,
            headers={"Content-Type": content_type},
        )
        blob = (response.body or {}).get("blob")
        if not isinstance(blob, dict):
            raise ConnectorError(
                "Bluesky did not return the uploaded file's reference.", permanent=True
            )
        return blob


def _view_media(embed: dict[str, Any] | None) -> tuple[MediaRef, ...]:
    if not embed:
        return ()
    if embed.get("$type") == "app.bsky.embed.images#view":
        return tuple(
            MediaRef(url=str(image.get("fullsize", "")), alt_text=str(image.get("alt", "")))
            for image in embed.get("images") or []
        )
    if embed.get("$type") == "app.bsky.embed.video#view":
        return (
            MediaRef(
                url=str(embed.get("playlist", "")), kind="video", alt_text=str(embed.get("alt", ""))
            ),
        )
    return ()


def _record_media(did: str, embed: dict[str, Any] | None) -> tuple[MediaRef, ...]:
    """Media named by blob CID in a record, addressed through Bluesky's public image CDN."""
    if not embed or embed.get("$type") != "app.bsky.embed.images":
        return ()
    refs = []
    for image in embed.get("images") or []:
        link = ((image.get("image") or {}).get("ref") or {}).get("$link", "")
        refs.append(
            MediaRef(
                url=f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{link}@jpeg",
                alt_text=str(image.get("alt", "")),
            )
        )
    return tuple(refs)
