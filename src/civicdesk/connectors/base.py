"""The one interface every platform connector implements.

A connector turns a platform's API (or a file standing in for it) into plain typed records.
It never touches the database: ingestion (``civicdesk.archive.ingest``) persists what it returns,
and the caller persists the cursor only after the records are stored, so a crash between the two
re-reads a page instead of losing one.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.db import models


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    X = "x", "X"
    YOUTUBE = "youtube", "YouTube"
    PINTEREST = "pinterest", "Pinterest"
    SNAPCHAT = "snapchat", "Snapchat"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    RSS = "rss", "RSS / blog"


class ItemKind(models.TextChoices):
    POST = "post", "Post"
    COMMENT = "comment", "Comment"
    REPLY = "reply", "Reply"
    MENTION = "mention", "Mention"
    MESSAGE = "message", "Direct message"


class Capability(enum.StrEnum):
    """What a connector can do for an account; the README's table is generated from these."""

    READ_POSTS = "read posts"
    READ_COMMENTS = "read comments"
    READ_MENTIONS = "read mentions"
    READ_MESSAGES = "read messages"
    FETCH_THREAD = "fetch thread"
    LOOKUP = "look up items"
    REPLY = "reply"
    HIDE = "hide"
    DELETE = "delete"
    PUBLISH = "publish"
    PUBLISH_MEDIA = "publish media"
    METRICS = "metrics"


@dataclass(frozen=True, slots=True)
class MediaRef:
    url: str
    kind: str = "image"  # image | video | gif | link
    alt_text: str = ""


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One observed state of a post, comment, reply, mention or message on a platform."""

    platform_id: str
    kind: ItemKind
    text: str
    created_at: datetime
    author_handle: str = ""
    author_name: str = ""
    author_platform_id: str = ""
    url: str = ""
    parent_platform_id: str = ""
    language: str = ""
    media: tuple[MediaRef, ...] = ()
    is_hidden: bool = False
    is_deleted: bool = False
    edited_at: datetime | None = None
    # The platform's own payload, kept verbatim for the public record.
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FetchPage:
    """Items seen since a cursor, and the cursor to ask with next time."""

    items: Sequence[ItemRecord]
    next_cursor: str
    has_more: bool = False
    # Platform ids known to the platform as gone since the last page (deletions).
    deleted_ids: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The current state of the items asked for, and those the platform no longer has."""

    found: Sequence[ItemRecord] = ()
    # Asked-for ids absent from the answer: deleted, or made private (a platform cannot tell).
    gone: Sequence[str] = ()
    # API calls the lookup made (at most the connector's ``lookup_calls``).
    calls: int = 1


@dataclass(frozen=True, slots=True)
class OutgoingPost:
    text: str
    media: tuple[MediaRef, ...] = ()
    language: str = ""
    reply_to_platform_id: str = ""
    idempotency_key: str = ""


class ConnectorError(Exception):
    """A platform call failed.

    ``permanent`` errors (revoked token, deleted page, forbidden) will fail again if retried;
    the others (rate limit, 5xx, timeout) should be retried, not before ``retry_after`` seconds.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        needs_reconnect: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent or needs_reconnect
        self.retry_after = retry_after
        self.needs_reconnect = needs_reconnect


class ItemGone(ConnectorError):
    """The platform answered that one item no longer exists (HTTP 404/410 or its own "not found").

    Raised by ``fetch_thread`` (and by writes aimed at the item) so that the caller can record a
    deletion version for ``platform_id``. Permanent: asking again will not bring the item back.
    A platform cannot tell a deleted item from one made private, so neither does this error.
    """

    def __init__(self, platform: str, platform_id: str, *, detail: str = "") -> None:
        super().__init__(
            f"{platform} no longer has item {platform_id}: it was deleted or made private.",
            permanent=True,
        )
        self.platform_id = platform_id
        self.detail = detail  # the platform's own words, when it gave any


class UnsupportedOperation(ConnectorError):
    def __init__(self, subject: str, capability: Capability) -> None:
        super().__init__(f"{subject} cannot {capability.value} through Civic Desk.", permanent=True)
        self.capability = capability


class Connector(ABC):
    """Base class for one platform.

    Subclasses set ``platform`` and ``capabilities`` and override the operations they declare.
    An operation that is not declared raises :class:`UnsupportedOperation`.
    """

    platform: ClassVar[Platform]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # How many ids one ``lookup`` call may carry: one API call per batch of this size.
    lookup_batch_size: ClassVar[int] = 1
    # The most API calls one ``lookup`` may make (an X edit needs a second call, for one).
    lookup_calls: ClassVar[int] = 1

    def __init__(
        self, *, handle: str, credentials: Mapping[str, Any], options: Mapping[str, Any]
    ) -> None:
        self.handle = handle
        self.credentials = credentials
        self.options = options

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def unsupported(self, capability: Capability) -> UnsupportedOperation:
        return UnsupportedOperation(f"{self.platform.label} accounts", capability)

    @abstractmethod
    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        """Items created, edited or deleted since ``cursor`` ("" for the beginning), oldest first."""

    def fetch_thread(self, *, platform_id: str) -> list[ItemRecord]:
        raise self.unsupported(Capability.FETCH_THREAD)

    def lookup(self, *, platform_ids: Sequence[str]) -> LookupResult:
        """The current state of up to ``lookup_batch_size`` items, in one API call.

        An asked-for id is in ``found`` (under the archive's id for it) or in ``gone`` (ids
        of items that were never the account's too), or in neither when the platform cannot
        say (an RSS entry that slid out of its feed); nothing is written for those.
        """
        raise self.unsupported(Capability.LOOKUP)

    def reply(self, *, parent_platform_id: str, post: OutgoingPost) -> ItemRecord:
        raise self.unsupported(Capability.REPLY)

    def hide(self, *, platform_id: str, hidden: bool = True) -> None:
        raise self.unsupported(Capability.HIDE)

    def delete(self, *, platform_id: str) -> None:
        raise self.unsupported(Capability.DELETE)

    def publish(self, *, post: OutgoingPost) -> ItemRecord:
        raise self.unsupported(Capability.PUBLISH)

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        raise self.unsupported(Capability.METRICS)
