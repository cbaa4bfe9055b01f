"""Where an account's AT Protocol network serves posts and images to people.

Bluesky's own network has a web app (``https://bsky.app``) and an image CDN
(``https://cdn.bsky.app``). An account on another network (an agency's own PDS and AppView, say)
has neither unless the account's options name them: ``web_app`` (the host that shows a post at
``/profile/{handle}/post/{rkey}``) and ``image_cdn``. Without a web app a record has no web link;
without a CDN an image is addressed where its blob is stored, through ``com.atproto.sync.getBlob``
on the account's PDS. An AppView's post view names its own image URLs (``thumb``,
``fullsize``), and those are used whenever a view is at hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from civicdesk.connectors.base import MediaRef

DEFAULT_SERVICE = "https://bsky.social"
BLUESKY_WEB_APP = "https://bsky.app"
BLUESKY_IMAGE_CDN = "https://cdn.bsky.app"
# PDS hosts run by Bluesky: the entryway and the PDSs behind it (``*.host.bsky.network``).
BLUESKY_PDS_HOSTS = ("bsky.social", ".bsky.network")


@dataclass(frozen=True, slots=True)
class Network:
    service: str
    web_app: str = ""
    image_cdn: str = ""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Network:
        service = str(options.get("service") or DEFAULT_SERVICE).rstrip("/")
        host = urlsplit(service).hostname or ""
        on_bluesky = host == BLUESKY_PDS_HOSTS[0] or host.endswith(BLUESKY_PDS_HOSTS[1])
        return cls(
            service=service,
            web_app=str(options.get("web_app") or (BLUESKY_WEB_APP if on_bluesky else "")),
            image_cdn=str(options.get("image_cdn") or (BLUESKY_IMAGE_CDN if on_bluesky else "")),
        )

    def post_url(self, *, author: str, rkey: str) -> str:
        """The post's page in the web app, or "" when the network has none that is known."""
        if not self.web_app:
            return ""
        return f"{self.web_app.rstrip('/')}/profile/{author}/post/{rkey}"

    def blob_url(self, *, did: str, cid: str, kind: str = "image") -> str:
        if self.image_cdn and kind == "image":
            return f"{self.image_cdn.rstrip('/')}/img/feed_fullsize/plain/{did}/{cid}@jpeg"
        query = urlencode({"did": did, "cid": cid})
        return f"{self.service}/xrpc/com.atproto.sync.getBlob?{query}"

    def media_of_view(self, embed: Mapping[str, Any] | None) -> tuple[MediaRef, ...]:
        """Media of a post view, at the URLs the AppView gave."""
        if not embed:
            return ()
        kind = embed.get("$type")
        if kind == "app.bsky.embed.recordWithMedia#view":
            return self.media_of_view(embed.get("media"))
        if kind == "app.bsky.embed.images#view":
            return tuple(
                MediaRef(
                    url=str(image.get("fullsize") or image.get("thumb") or ""),
                    alt_text=str(image.get("alt", "")),
                )
                for image in embed.get("images") or []
            )
        if kind == "app.bsky.embed.video#view":
            return (
                MediaRef(
                    url=str(embed.get("playlist", "")),
                    kind="video",
                    alt_text=str(embed.get("alt", "")),
                ),
            )
        return ()

    def media_of_record(self, did: str, embed: Mapping[str, Any] | None) -> tuple[MediaRef, ...]:
        """Media named by blob CID in a record of the repository ``did``."""
        if not embed:
            return ()
        kind = embed.get("$type")
        if kind == "app.bsky.embed.recordWithMedia":
            return self.media_of_record(did, embed.get("media"))
        if kind == "app.bsky.embed.images":
            return tuple(
                MediaRef(
                    url=self.blob_url(did=did, cid=_cid(image.get("image"))),
                    alt_text=str(image.get("alt", "")),
                )
                for image in embed.get("images") or []
            )
        if kind == "app.bsky.embed.video":
            return (
                MediaRef(
                    url=self.blob_url(did=did, cid=_cid(embed.get("video")), kind="video"),
                    kind="video",
                    alt_text=str(embed.get("alt", "")),
                ),
            )
        return ()


def _cid(blob: Any) -> str:
    if not isinstance(blob, Mapping):
        return ""
    ref = blob.get("ref")
    # A blob written by a current PDS is {"ref": {"$link": cid}}; an old one is {"cid": cid}.
    return str(ref.get("$link", "")) if isinstance(ref, Mapping) else str(blob.get("cid", ""))
