"""AT Protocol answers and records, parsed at the edge into typed models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from civicdesk.connectors.base import ConnectorError

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"


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
