"""Publishing to Pinterest: one image with alt text, deleting Pins, Pin analytics."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from civicdesk.connectors.base import (
    Capability,
    ConnectorError,
    MediaRef,
    OutgoingPost,
    UnsupportedOperation,
)
from civicdesk.connectors.pinterest import PinterestConnector
from civicdesk.connectors.tests.contract_cases import build, payload

API = "https://api.pinterest.com/v5"


@pytest.fixture
def pinterest() -> PinterestConnector:
    connector = build(
        PinterestConnector,
        [],
        credentials={"access_token": "pina-token"},
        options={"board_id": "549755885175"},
    )
    assert isinstance(connector, PinterestConnector)
    return connector


def test_a_pin_is_created_on_the_board_with_alt_text(pinterest: PinterestConnector) -> None:
    with respx.mock() as router:
        route = router.post(f"{API}/pins").mock(
            return_value=httpx.Response(201, json=payload("pinterest", "pin_created"))
        )
        record = pinterest.publish(
            post=OutgoingPost(
                text="Pool schedule for the weekend.",
                media=(
                    MediaRef(
                        url="https://media.civicdesk.example/pool.jpg", alt_text="Lifeguard stand"
                    ),
                ),
            )
        )
    assert json.loads(route.calls.last.request.content) == {
        "board_id": "549755885175",
        "description": "Pool schedule for the weekend.",
        "alt_text": "Lifeguard stand",
        "media_source": {
            "source_type": "image_url",
            "url": "https://media.civicdesk.example/pool.jpg",
        },
    }
    assert record.platform_id == "813744226420795900"
    assert record.created_at.tzinfo is not None


def test_a_pin_needs_exactly_one_image(pinterest: PinterestConnector) -> None:
    with pytest.raises(ConnectorError) as caught:
        pinterest.publish(post=OutgoingPost(text="No image"))
    assert caught.value.message == "A Pin from Civic Desk carries exactly one image."


def test_deleting_a_pin(pinterest: PinterestConnector) -> None:
    with respx.mock() as router:
        route = router.delete(f"{API}/pins/813744226420795900").mock(
            return_value=httpx.Response(204)
        )
        pinterest.delete(platform_id="813744226420795900")
    assert route.called is True


def test_pinterest_has_no_comments_to_reply_to_or_hide(pinterest: PinterestConnector) -> None:
    assert pinterest.can(Capability.REPLY) is False
    with pytest.raises(UnsupportedOperation):
        pinterest.hide(platform_id="1")


def test_metrics_sum_the_last_ninety_days(pinterest: PinterestConnector) -> None:
    with respx.mock() as router:
        route = router.get(url__regex=rf"{API}/pins/813744226420795884/analytics.*").mock(
            return_value=httpx.Response(200, json=payload("pinterest", "pin_analytics"))
        )
        metrics = pinterest.metrics(platform_id="813744226420795884")
    assert metrics == {"impression": 120, "save": 3, "pin_click": 8, "outbound_click": 2}
    assert route.calls.last.request.url.params["start_date"] == "2025-12-03"
