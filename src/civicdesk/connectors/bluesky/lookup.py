"""Looking up archived Bluesky posts again, 25 per ``app.bsky.feed.getPosts`` call.

A post that is gone (deleted, or its author's account taken down or blocking the agency) is
simply missing from the answer. Each post becomes the same record polling made of it: the
agency's own posts as ``getAuthorFeed`` shows them, others' as their notification did. Whether
a reply is hidden is written in its thread root's threadgate, so roots not in the batch are
read in a second call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from civicdesk.connectors.base import ItemKind, ItemRecord, LookupResult
from civicdesk.connectors.http import ApiResponse

from .records import PostList, PostRecord, PostView

if TYPE_CHECKING:
    from .connector import BlueskyConnector

MAX_URIS = 25  # app.bsky.feed.getPosts takes at most 25 uris


def lookup_posts(connector: BlueskyConnector, platform_ids: Sequence[str]) -> LookupResult:
    response = _get_posts(connector, platform_ids)
    views = {
        view.uri: (view, raw, response)
        for raw in response.parse(PostList).posts
        for view in [response.parse(PostView, raw)]
    }
    calls = 1
    roots: dict[str, str] = {}
    for uri, (view, _, answer) in views.items():
        record = answer.parse(PostRecord, view.record)
        if record.reply:
            roots[uri] = record.reply.root.uri
    hidden_by_root: dict[str, set[str]] = {
        uri: _hidden(view.threadgate) for uri, (view, _, _) in views.items()
    }
    missing = sorted({root for root in roots.values() if root not in views})
    if missing:
        calls += 1
        extra = _get_posts(connector, missing)
        for raw in extra.parse(PostList).posts:
            view = extra.parse(PostView, raw)
            hidden_by_root[view.uri] = _hidden(view.threadgate)
    found: list[ItemRecord] = []
    for uri, (view, raw, answer) in views.items():
        hidden = uri in hidden_by_root.get(roots.get(uri, ""), set())
        if view.author.did == connector.did:
            found.append(connector._post_record(raw, answer, hidden=hidden))
            continue
        record = answer.parse(PostRecord, view.record)
        found.append(
            connector._record(
                uri=uri,
                author=view.author,
                record=record,
                kind=ItemKind.REPLY if record.reply else ItemKind.MENTION,
                raw=raw,
                media=connector.network.media_of_view(view.embed)
                or connector.network.media_of_record(view.author.did, record.embed),
                hidden=hidden,
            )
        )
    gone = [uri for uri in platform_ids if uri not in views]
    return LookupResult(found=found, gone=gone, calls=calls)


def _get_posts(connector: BlueskyConnector, uris: Sequence[str]) -> ApiResponse:
    return connector._call(
        "GET", "/xrpc/app.bsky.feed.getPosts", params={"uris": list(uris[:MAX_URIS])}
    )


def _hidden(threadgate: dict[str, Any] | None) -> set[str]:
    record = (threadgate or {}).get("record") or {}
    return {str(uri) for uri in record.get("hiddenReplies") or []}
