"""Connecting accounts: authorization URLs with PKCE, code exchange, refresh."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from civicdesk.connectors.base import ConnectorError, Platform
from civicdesk.connectors.oauth import (
    PROVIDERS,
    OAuthClient,
    authorization_url,
    create_bluesky_session,
    mastodon_provider,
    new_pkce_pair,
)
from civicdesk.connectors.tests.contract_cases import payload

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def test_the_pkce_challenge_is_the_s256_of_the_verifier() -> None:
    pair = new_pkce_pair()
    digest = hashlib.sha256(pair.verifier.encode()).digest()
    assert pair.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(pair.verifier) <= 128


def test_the_x_authorization_url_carries_state_scopes_and_the_challenge() -> None:
    pair = new_pkce_pair()
    url = authorization_url(
        PROVIDERS[Platform.X],
        client_id="cid",
        redirect_uri="https://desk.example/cb",
        state="st",
        pkce=pair,
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://x.com/i/oauth2/authorize?")
    assert query["code_challenge"] == [pair.challenge]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == ["st"]
    assert "offline.access" in query["scope"][0].split(" ")


def test_a_platform_that_requires_pkce_refuses_a_url_without_it() -> None:
    with pytest.raises(ValueError, match="needs a PKCE pair"):
        authorization_url(PROVIDERS[Platform.X], client_id="c", redirect_uri="r", state="s")


def test_exchanging_a_code_sends_the_verifier_and_basic_client_auth() -> None:
    pair = new_pkce_pair()
    client = OAuthClient(
        PROVIDERS[Platform.X], client_id="cid", client_secret="sec", clock=lambda: NOW
    )
    with respx.mock() as router:
        route = router.post("https://api.x.com/2/oauth2/token").mock(
            return_value=httpx.Response(
                200,
                json={
                    "token_type": "bearer",
                    "expires_in": 7200,
                    "access_token": "at",
                    "scope": "tweet.read offline.access",
                    "refresh_token": "rt",
                },
            )
        )
        tokens = client.exchange_code(code="abc", redirect_uri="https://desk.example/cb", pkce=pair)
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:sec").decode()
    assert parse_qs(request.content.decode())["code_verifier"] == [pair.verifier]
    assert tokens.access_token == "at"
    assert tokens.expires_at == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


def test_a_refresh_keeps_the_old_refresh_token_when_none_is_sent_back() -> None:
    client = OAuthClient(
        PROVIDERS[Platform.YOUTUBE], client_id="cid", client_secret="sec", clock=lambda: NOW
    )
    with respx.mock() as router:
        route = router.post("https://oauth2.googleapis.com/token").mock(
            return_value=httpx.Response(
                200,
                json={
                    "access_token": "new",
                    "expires_in": 3599,
                    "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                    "token_type": "Bearer",
                },
            )
        )
        tokens = client.refresh(refresh_token="keep-me")
    assert parse_qs(route.calls.last.request.content.decode())["client_secret"] == ["sec"]
    assert tokens.refresh_token == "keep-me"


def test_a_revoked_grant_asks_for_the_account_to_be_connected_again() -> None:
    client = OAuthClient(PROVIDERS[Platform.PINTEREST], client_id="cid", client_secret="sec")
    with respx.mock() as router:
        router.post("https://api.pinterest.com/v5/oauth/token").mock(
            return_value=httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "Refresh token revoked"}
            )
        )
        with pytest.raises(ConnectorError) as caught:
            client.refresh(refresh_token="gone")
    assert caught.value.needs_reconnect is True
    assert "Refresh token revoked" in caught.value.message


def test_mastodon_endpoints_live_on_the_instance() -> None:
    provider = mastodon_provider("https://mastodon.social/")
    url = authorization_url(
        provider, client_id="c", redirect_uri="r", state="s", pkce=new_pkce_pair()
    )
    assert url.startswith("https://mastodon.social/oauth/authorize?")


def test_a_bluesky_app_password_session_becomes_connector_credentials() -> None:
    with respx.mock() as router:
        router.post("https://bsky.social/xrpc/com.atproto.server.createSession").mock(
            return_value=httpx.Response(200, json=payload("bluesky", "refresh_session"))
        )
        credentials = create_bluesky_session(
            identifier="elmcity.gov", app_password="xxxx-xxxx-xxxx-xxxx"
        )
    assert credentials["access_jwt"] == "new-access-jwt"
    assert credentials["did"] == "did:plc:agencyelmcity0000000000"
