"""Pinterest through API v5: the account's own Pins, publishing to one board, Pin analytics.

Pinterest's API has no comments, replies or moderation, so the connector archives and
publishes Pins only. Pins are listed newest first with a ``bookmark`` cursor; each sweep re-reads
the last ``lookback_days`` (default 7) so an edited title or description becomes a new version
(Pinterest reports no edit time).

A Pin carries one image with ``alt_text``; video Pins need Pinterest's media-upload registration,
which Civic Desk does not do.

Options: ``board_id`` (where new Pins go), ``lookback_days``. Credentials: ``access_token``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

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
    Sweep,
    position_before,
    position_of,
    read_streams,
)
from civicdesk.connectors.http import ApiResponse, HttpConnector, PlatformClient

BASE_URL = "https://api.pinterest.com/v5"
MAX_PAGE = 250
DEFAULT_LOOKBACK_DAYS = 7
ANALYTICS_DAYS = 90  # Pin analytics reach back at most 90 days
METRIC_TYPES = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Pin(_Model):
    id: str
    created_at: datetime
    title: str | None = ""
    description: str | None = ""
    alt_text: str | None = ""
    link: str | None = ""
    board_id: str = ""
    media: dict[str, Any] | None = None

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # Pinterest writes timestamps without an offset; they are UTC.
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def image_url(self) -> str:
        images = (self.media or {}).get("images") or {}
        for size in ("originals", "1200x", "600x", "400x300", "150x150"):
            if isinstance(images.get(size), dict) and images[size].get("url"):
                return str(images[size]["url"])
        return ""


class PinList(_Model):
    items: list[dict[str, Any]]
    bookmark: str | None = None


class PinterestConnector(HttpConnector):
    platform: ClassVar[Platform] = Platform.PINTEREST
    capabilities = frozenset(
        {
            Capability.READ_POSTS,
            Capability.FETCH_THREAD,
            Capability.DELETE,
            Capability.PUBLISH_MEDIA,
            Capability.METRICS,
        }
    )

    @property
    def http(self) -> PlatformClient:
        if not hasattr(self, "_http"):
            self._http = self.make_client(
                base_url=BASE_URL,
                headers={"Authorization": f"Bearer {self.credentials['access_token']}"},
            )
        return self._http

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        return read_streams(
            platform=self.platform, cursor=cursor, limit=limit, readers={"pins": self._read_pins}
        )

    def fetch_thread(self, *, platform_id: str) -> list[ItemRecord]:
        """A Pin has no thread: the Pin alone, as Pinterest has it now."""
        response = self.http.get(f"/pins/{platform_id}", item_id=platform_id)
        return [self._record(response.body, response)]

    def delete(self, *, platform_id: str) -> None:
        try:
            self.http.delete(f"/pins/{platform_id}", item_id=platform_id)
        except ItemGone:
            return

    def publish(self, *, post: OutgoingPost) -> ItemRecord:
        images = [m for m in post.media if m.kind == "image"]
        if len(images) != 1 or len(post.media) != 1:
            raise ConnectorError("A Pin from Civic Desk carries exactly one image.", permanent=True)
        body: dict[str, Any] = {
            "board_id": str(self.options["board_id"]),
            "description": post.text,
            "alt_text": images[0].alt_text,
            "media_source": {"source_type": "image_url", "url": images[0].url},
        }
        response = self.http.post("/pins", json=body)
        return self._record(response.body, response)

    def metrics(self, *, platform_id: str) -> dict[str, int]:
        """Totals over the last 90 days, the furthest Pinterest's Pin analytics reach."""
        today = self.now().date()
        response = self.http.get(
            f"/pins/{platform_id}/analytics",
            params={
                "start_date": (today - timedelta(days=ANALYTICS_DAYS - 1)).isoformat(),
                "end_date": today.isoformat(),
                "metric_types": METRIC_TYPES,
            },
            item_id=platform_id,
        )
        summary = ((response.body or {}).get("all") or {}).get("summary_metrics") or {}
        return {
            key.lower(): int(value)
            for key, value in summary.items()
            if isinstance(value, int | float)
        }

    def _read_pins(self, sweep: Sweep, limit: int) -> StreamPage:
        params: dict[str, Any] = {"page_size": max(1, min(limit, MAX_PAGE))}
        if sweep.page:
            params["bookmark"] = sweep.page
        response = self.http.get("/pins", params=params)
        listing = response.parse(PinList)
        lookback = timedelta(days=int(self.options.get("lookback_days", DEFAULT_LOOKBACK_DAYS)))
        floor = position_before(sweep.watermark, lookback)
        records: list[ItemRecord] = []
        seen: list[str] = []
        reached = False
        for raw in reversed(listing.items):
            record = self._record(raw, response)
            position = position_of(record.created_at)
            if floor and position <= floor:
                reached = True
                continue
            seen.append(position)
            records.append(record)
        next_sweep = sweep.advance(
            seen=seen, next_page=listing.bookmark or "", reached_watermark=reached
        )
        return StreamPage(records, next_sweep, has_more=bool(next_sweep.page))

    def _record(self, raw: Any, response: ApiResponse) -> ItemRecord:
        pin = response.parse(Pin, raw)
        text = "\n\n".join(part for part in (pin.title, pin.description) if part)
        image = pin.image_url()
        return ItemRecord(
            platform_id=pin.id,
            kind=ItemKind.POST,
            text=text,
            created_at=pin.created_at,
            author_handle=self.handle,
            url=f"https://www.pinterest.com/pin/{pin.id}/",
            media=(MediaRef(url=image, alt_text=pin.alt_text or ""),) if image else (),
            raw=raw,
        )
