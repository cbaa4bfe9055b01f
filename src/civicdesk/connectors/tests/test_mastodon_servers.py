"""Servers that speak the Mastodon API their own way: Akkoma and Pleroma (flake ids), Takahē."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.connectors.base import ItemKind
from civicdesk.connectors.mastodon import MastodonConnector, id_order
from civicdesk.connectors.tests.contract_cases import build, payload

AKKOMA = "https://social.elm.example"
OWN_ID = "AdHrt1BvfJ3xfPnKdY"


@pytest.fixture
def akkoma() -> MastodonConnector:
    connector = build(
        MastodonConnector,
        [],
        credentials={"access_token": "akkoma-token"},
        options={"instance": AKKOMA, "account_id": OWN_ID},
    )
    assert isinstance(connector, MastodonConnector)
    return connector


def read_own_posts(connector: MastodonConnector, cursor: str = "") -> tuple[list, str]:
    """Read the notifications (empty) then one page of the account's own statuses."""
    page = connector.fetch_new(cursor=cursor, limit=40)
    assert page.items == []
    page = connector.fetch_new(cursor=page.next_cursor, limit=40)
    return list(page.items), page.next_cursor


def test_the_accounts_own_posts_with_flake_ids_are_read_oldest_first(
    akkoma: MastodonConnector,
) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{AKKOMA}/api/v1/notifications.*").mock(
            return_value=httpx.Response(200, json=[])
        )
        own = router.get(url__regex=rf"{AKKOMA}/api/v1/accounts/{OWN_ID}/statuses.*").mock(
            side_effect=[
                httpx.Response(200, json=payload("mastodon", "akkoma_own_statuses")),
                httpx.Response(200, json=[]),
            ]
        )
        items, cursor = read_own_posts(akkoma)
        read_own_posts(akkoma, cursor)
    assert [i.platform_id for i in items] == ["AdHtWz9kJ3hG7fD5sA", "AdHtX0pL4mN8qR2sT6"]
    assert own.calls[1].request.url.params["min_id"] == "AdHtX0pL4mN8qR2sT6"


def test_the_agencys_own_posts_carry_its_account_id_though_acct_names_the_domain(
    akkoma: MastodonConnector,
) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{AKKOMA}/api/v1/notifications.*").mock(
            return_value=httpx.Response(200, json=[])
        )
        router.get(url__regex=rf"{AKKOMA}/api/v1/accounts/{OWN_ID}/statuses.*").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "akkoma_own_statuses"))
        )
        items, _ = read_own_posts(akkoma)
    assert {(i.kind, i.author_handle, i.author_platform_id) for i in items} == {
        (ItemKind.POST, "elmcity@social.elm.example", OWN_ID)
    }


def test_a_status_without_a_language_has_an_empty_language(akkoma: MastodonConnector) -> None:
    with respx.mock() as router:
        router.get(url__regex=rf"{AKKOMA}/api/v1/notifications.*").mock(
            return_value=httpx.Response(200, json=payload("mastodon", "akkoma_notifications_page1"))
        )
        page = akkoma.fetch_new(cursor="", limit=40)
    languages = {i.platform_id: i.language for i in page.items}
    assert languages == {"AdHtV8sQ5u0Jh4KK5s": "", "AdHtV8sQ5u0Jh4KKaB": "en"}


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("99", "100"),  # Mastodon: numbers, not text ("99" > "100" as text)
        ("103186126728896493", "103186126728896494"),
        ("AdHtV8sQ5u0Jh4KK5s", "AdHtV8sQ5u0Jh4KKaB"),  # base62: digits before letters
        ("AdHtV8sQ5u0Jh4KKZz", "AdHtV8sQ5u0Jh4KKa0"),  # upper case before lower case
    ],
)
def test_ids_sort_in_the_order_the_server_made_them(older: str, newer: str) -> None:
    assert id_order(older) < id_order(newer)
