"""Reading many Graph API objects in one call: ``GET /?ids=a,b,…&fields=…`` (Facebook, Instagram).

Graph answers one JSON object keyed by id. When one of the ids no longer exists, Graph fails
the whole request with code 100 and names the missing ids ("Some of the aliases you requested
do not exist: a,b"); those are gone, and the rest is asked for once more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .base import ConnectorError, ItemRecord, LookupResult
from .http import ApiResponse, PlatformClient

if TYPE_CHECKING:
    from .facebook import FacebookConnector

MAX_IDS = 50  # Graph's limit on ids per request
# The fields polling reads a Page post with, so that an unchanged post hashes the same.
POST_FIELDS = (
    "id,message,created_time,from{id,name},permalink_url,"
    "attachments{media_type,media,url,description}"
)
_MISSING = re.compile(r"do not exist: ?(.+?)\s*$")


@dataclass
class GraphObjects:
    response: ApiResponse | None = None  # None when every id asked for was gone
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    calls: int = 1


def missing_ids(error: ConnectorError) -> list[str]:
    """The ids a Graph "do not exist" error names; empty for any other error."""
    found = _MISSING.search(error.message)
    if not found or error.retry_after is not None or error.needs_reconnect:
        return []
    return [part.strip() for part in found.group(1).split(",") if part.strip()]


def read_objects(http: PlatformClient, *, ids: Sequence[str], fields: str) -> GraphObjects:
    """The objects among ``ids`` that still exist, with ``fields``; at most two calls."""
    asked = list(ids)
    gone: list[str] = []
    for calls in (1, 2):
        try:
            response = http.get("/", params={"ids": ",".join(asked), "fields": fields})
        except ConnectorError as error:
            missing = [pid for pid in missing_ids(error) if pid in asked]
            if calls == 2 or not missing:
                raise
            gone += missing
            asked = [pid for pid in asked if pid not in missing]
            if not asked:
                return GraphObjects(gone=gone, calls=calls)
            continue
        body = response.body if isinstance(response.body, dict) else {}
        objects = {pid: raw for pid, raw in body.items() if isinstance(raw, dict)}
        gone += [pid for pid in asked if pid not in objects]
        return GraphObjects(response=response, objects=objects, gone=gone, calls=calls)
    raise AssertionError("unreachable")


def lookup_page_items(connector: FacebookConnector, platform_ids: Sequence[str]) -> LookupResult:
    """A Page's posts and comments by id.

    Posts (``{page-id}_…``) and comments have different fields, so each kind has its own call.
    """
    from .facebook import COMMENT_FIELDS

    posts = [pid for pid in platform_ids if pid.startswith(f"{connector.page_id}_")]
    comments = [pid for pid in platform_ids if pid not in set(posts)]
    found: list[ItemRecord] = []
    gone: list[str] = []
    calls = 0
    for ids, fields in ((posts, POST_FIELDS), (comments, COMMENT_FIELDS)):
        if not ids:
            continue
        answer = read_objects(connector.http, ids=ids, fields=fields)
        calls += answer.calls
        gone += answer.gone
        response = answer.response
        for raw in answer.objects.values():
            assert response is not None  # objects come with the answer that held them
            if ids is posts:
                found.append(connector._post_record(raw, response))
            else:
                post_id = f"{connector.page_id}_{str(raw.get('id', '')).split('_')[0]}"
                found.append(connector._comment_record(raw, response, post_id=post_id))
    return LookupResult(found=found, gone=gone, calls=calls)
