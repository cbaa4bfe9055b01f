"""Signed-in XRPC calls for one Bluesky account: its session, its network, and post views.

The access JWT is refreshed with the refresh JWT once when the PDS refuses it; only when that is
refused too is the account asked to reconnect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from civicdesk.connectors.base import ConnectorError, ItemGone, MediaRef, Platform
from civicdesk.connectors.http import ApiResponse, HttpConnector, PlatformClient

from .network import Network
from .records import PostList, PostView, Session

# app.bsky.feed.getPosts takes at most 25 URIs a call.
MAX_POSTS_PER_CALL = 25
# Error names of a refused access JWT: a missing one answers AuthMissing (HTTP 401).
SESSION_ERRORS = frozenset(
    {"ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired"}
)


def _classify(response: httpx.Response, body: Any, item_id: str) -> ConnectorError | None:
    if response.is_success or not isinstance(body, dict):
        return None
    error = body.get("error")
    if error in SESSION_ERRORS:
        return ConnectorError(
            f"Bluesky no longer accepts this account's session ({error}). Reconnect the account.",
            needs_reconnect=True,
        )
    if error in ("NotFound", "RecordNotFound") and item_id:
        return ItemGone(Platform.BLUESKY.label, item_id)
    return None


class BlueskyClient(HttpConnector):
    """What every Bluesky operation needs: calls that survive an expired session."""

    @property
    def http(self) -> PlatformClient:
        if not hasattr(self, "_http"):
            self._session = {
                "did": str(self.credentials["did"]),
                "access_jwt": str(self.credentials["access_jwt"]),
                "refresh_jwt": str(self.credentials["refresh_jwt"]),
            }
            access = self._session["access_jwt"]
            # Without an access JWT the PDS answers AuthMissing, and the session is refreshed.
            self._http = self.make_client(
                base_url=self.network.service,
                headers={"Authorization": f"Bearer {access}"} if access else {},
                classify_error=_classify,
            )
        return self._http

    @property
    def network(self) -> Network:
        return Network.from_options(self.options)

    @property
    def did(self) -> str:
        return str(self.credentials["did"])

    @property
    def current_credentials(self) -> dict[str, str]:
        """The session to store after a call: the JWTs change when the session is refreshed."""
        self.http  # noqa: B018 - creates the session from the credentials on first use
        return dict(self._session)

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

    def _views(self, uris: Sequence[str]) -> dict[str, tuple[dict[str, Any], ApiResponse]]:
        """The AppView's views of those of ``uris`` it still has, read with as few ``getPosts``
        calls as its limit of 25 URIs a call allows."""
        found: dict[str, tuple[dict[str, Any], ApiResponse]] = {}
        wanted = list(dict.fromkeys(uris))
        for start in range(0, len(wanted), MAX_POSTS_PER_CALL):
            response = self._call(
                "GET",
                "/xrpc/app.bsky.feed.getPosts",
                params={"uris": wanted[start : start + MAX_POSTS_PER_CALL]},
            )
            for raw in response.parse(PostList).posts:
                found[response.parse(PostView, raw).uri] = (raw, response)
        return found

    def _get_post(self, uri: str) -> PostView:
        response = self._call(
            "GET", "/xrpc/app.bsky.feed.getPosts", params={"uris": uri}, item_id=uri
        )
        posts = response.parse(PostList).posts
        if not posts:
            raise ItemGone(self.platform.label, uri)
        return response.parse(PostView, posts[0])

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
