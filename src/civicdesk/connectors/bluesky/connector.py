"""The Bluesky connector: AT Protocol XRPC calls to the account's PDS (which proxies
``app.bsky.*`` to its AppView).

Reads: ``app.bsky.notification.listNotifications`` (replies, mentions, quotes) and
``app.bsky.feed.getAuthorFeed`` (the account's own posts), both newest first, read in sweeps
down to the last ``indexedAt`` seen. Post text is already plain; facets (links, mentions, tags)
stay in ``raw``. An AppView does not notify every reply (one indexed before its thread's root
was, say), so the parent of a reply read on a page, when it is neither on the page nor the
account's own post, is read too with ``app.bsky.feed.getPosts`` (up to 25 posts a call) and
returned before the reply: the thread is whole in the archive.

Hiding a reply means adding its AT-URI to ``hiddenReplies`` in the threadgate record of the
thread's root post, which must be the agency's own post; the record is rewritten with
``swapRecord`` so a concurrent edit fails instead of being overwritten. Only the account's own
records can be deleted.

Sessions: an app-password session (``createSession``) is limited to 30 per 5 minutes, so the
access and refresh JWTs are kept in the credentials and refreshed with ``refreshSession`` when the
PDS refuses the access JWT (``ExpiredToken``, ``InvalidToken``, ``AuthMissing``); read
:attr:`BlueskyConnector.current_credentials` afterwards and store it. The atproto SDK was not
used for network I/O so that rate limits are handled in :mod:`civicdesk.connectors.http` like
every other platform.

Options: ``service`` (PDS base URL, default ``https://bsky.social``), ``web_app`` and
``image_cdn`` (see :mod:`.network`). Credentials: ``did``, ``access_jwt``, ``refresh_jwt``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar

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
from civicdesk.connectors.http import ApiResponse

from . import lookup as bluesky_lookup
from .client import BlueskyClient
from .facets import facets_for
from .records import (
    POST,
    THREADGATE,
    Author,
    AuthorFeed,
    CreatedRecord,
    Notification,
    NotificationList,
    PostRecord,
    PostView,
    StoredRecord,
    StrongRef,
    split_at_uri,
)

MAX_PAGE = 100
MAX_IMAGES = 4
# How many levels up a thread the missing parents of a page are looked for.
MAX_PARENT_ROUNDS = 3
READ_REASONS = frozenset({"reply", "mention", "quote"})


class BlueskyConnector(BlueskyClient):
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

    lookup_batch_size = bluesky_lookup.MAX_URIS
    lookup_calls = 2

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
        # A notification carries the record, not the AppView's view of it: read the views of
        # posts with media (for their image URLs) in the same calls as the missing parents.
        with_media = [record.platform_id for record in records if record.media]
        views = self._views([*with_media, *self._missing_parents(records, set())])
        records = [
            replace(
                record, media=self.network.media_of_view(views[record.platform_id][0].get("embed"))
            )
            if record.media and record.platform_id in views
            else record
            for record in records
        ]
        records = self._with_missing_parents(records, views)
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
        records = self._with_missing_parents(records)
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
            media=self.network.media_of_record(note.author.did, record.embed),
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
        media = self.network.media_of_view(view.embed) or self.network.media_of_record(
            view.author.did, record.embed
        )
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
            url=self.network.post_url(author=author.handle or author.did, rkey=rkey),
            parent_platform_id=record.reply.parent.uri if record.reply else "",
            language=record.langs[0] if record.langs else "",
            media=media,
            is_hidden=hidden,
            raw=raw,
        )

    def _missing_parents(self, records: Sequence[ItemRecord], known: set[str]) -> list[str]:
        """Parents of ``records`` that are not among them, ``known`` or the account's own posts.

        The account's own posts are read from its author feed.
        """
        on_page = known | {record.platform_id for record in records}
        own = f"at://{self.did}/"
        parents = (record.parent_platform_id for record in records)
        return [
            uri
            for uri in dict.fromkeys(parents)
            if uri and uri not in on_page and not uri.startswith(own)
        ]

    def _with_missing_parents(
        self,
        records: list[ItemRecord],
        views: dict[str, tuple[dict[str, Any], ApiResponse]] | None = None,
    ) -> list[ItemRecord]:
        """``records`` after the ancestors they lack, up to :data:`MAX_PARENT_ROUNDS` levels up.

        ``views``, when given, were read for the first level already. A parent that is gone is
        left out: the reply still names it.
        """
        known: set[str] = set()
        pending = records
        ancestors: list[ItemRecord] = []
        for _ in range(MAX_PARENT_ROUNDS):
            missing = self._missing_parents(pending, known)
            if not missing:
                break
            known.update(record.platform_id for record in pending)
            known.update(missing)
            found = views if views is not None else self._views(missing)
            views = None
            pending = [self._post_record(*found[uri]) for uri in missing if uri in found]
            ancestors = pending + ancestors
        return ancestors + records

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
            url=self.network.post_url(author=self.did, rkey=split_at_uri(created.uri)[2]),
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
