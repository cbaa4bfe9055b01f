"""OAuth for connecting accounts: authorization URLs (with PKCE where the platform has it), code
exchange and token refresh, over the same HTTP layer as the connectors. No views live here; the
connect and reconnect pages of ``civicdesk.accounts`` call these functions.

Per platform:

- Facebook: Facebook Login; a short-lived user token is exchanged for a long-lived one
  (:func:`exchange_meta_long_lived_token`), from which Page tokens that do not expire are read.
- Instagram: Facebook Login (as Facebook) or Instagram Login (its own endpoints below), whose
  long-lived tokens are refreshed with ``ig_refresh_token``.
- X: OAuth 2.0 authorization code with PKCE (S256) required; ``offline.access`` yields a refresh
  token; confidential clients authenticate with HTTP Basic.
- YouTube: Google OAuth with PKCE; ``access_type=offline`` and ``prompt=consent`` yield a refresh
  token.
- Pinterest: authorization code, token endpoint with HTTP Basic client authentication.
- Mastodon: per instance; the app is registered on each instance first
  (:func:`register_mastodon_app`); PKCE is accepted from Mastodon 4.3.
- Bluesky: AT Protocol OAuth needs PAR and DPoP-bound tokens, which this module does not do;
  accounts connect with an app password through :func:`create_bluesky_session`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict

from civicdesk.connectors.base import ConnectorError, Platform
from civicdesk.connectors.http import PlatformClient, Sleep
from civicdesk.connectors.meta import DEFAULT_API_VERSION


@dataclass(frozen=True, slots=True)
class OAuthProvider:
    platform: Platform
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    uses_pkce: bool
    # "basic": client id and secret in an Authorization header; "body": in the form.
    client_auth: str = "body"
    scope_separator: str = " "
    extra_authorize_params: Mapping[str, str] = field(default_factory=dict)


def _graph(path: str) -> str:
    return f"https://graph.facebook.com/{DEFAULT_API_VERSION}{path}"


PROVIDERS: dict[str, OAuthProvider] = {
    Platform.FACEBOOK: OAuthProvider(
        platform=Platform.FACEBOOK,
        authorize_url=f"https://www.facebook.com/{DEFAULT_API_VERSION}/dialog/oauth",
        token_url=_graph("/oauth/access_token"),
        scopes=(
            "pages_show_list",
            "pages_read_engagement",
            "pages_read_user_content",
            "pages_manage_posts",
            "pages_manage_engagement",
            "pages_messaging",
        ),
        uses_pkce=False,
        scope_separator=",",
    ),
    Platform.INSTAGRAM: OAuthProvider(
        platform=Platform.INSTAGRAM,
        authorize_url="https://www.instagram.com/oauth/authorize",
        token_url="https://api.instagram.com/oauth/access_token",  # noqa: S106 - an endpoint, not a secret
        scopes=(
            "instagram_business_basic",
            "instagram_business_manage_comments",
            "instagram_business_content_publish",
            "instagram_business_manage_insights",
            "instagram_business_manage_messages",
        ),
        uses_pkce=False,
        scope_separator=",",
    ),
    Platform.X: OAuthProvider(
        platform=Platform.X,
        authorize_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",  # noqa: S106 - an endpoint, not a secret
        scopes=(
            "tweet.read",
            "tweet.write",
            "users.read",
            "tweet.moderate.write",
            "media.write",
            "dm.read",
            "offline.access",
        ),
        uses_pkce=True,
        client_auth="basic",
    ),
    Platform.YOUTUBE: OAuthProvider(
        platform=Platform.YOUTUBE,
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",  # noqa: S106 - an endpoint, not a secret
        scopes=("https://www.googleapis.com/auth/youtube.force-ssl",),
        uses_pkce=True,
        extra_authorize_params={"access_type": "offline", "prompt": "consent"},
    ),
    Platform.PINTEREST: OAuthProvider(
        platform=Platform.PINTEREST,
        authorize_url="https://www.pinterest.com/oauth/",
        token_url="https://api.pinterest.com/v5/oauth/token",  # noqa: S106 - an endpoint, not a secret
        scopes=("boards:read", "pins:read", "pins:write", "user_accounts:read"),
        uses_pkce=False,
        client_auth="basic",
        scope_separator=",",
    ),
}

MASTODON_SCOPES = ("read", "write")


def mastodon_provider(instance: str) -> OAuthProvider:
    """Mastodon's endpoints live on each instance."""
    base = instance.rstrip("/")
    return OAuthProvider(
        platform=Platform.MASTODON,
        authorize_url=f"{base}/oauth/authorize",
        token_url=f"{base}/oauth/token",
        scopes=MASTODON_SCOPES,
        uses_pkce=True,
    )


@dataclass(frozen=True, slots=True)
class PkcePair:
    verifier: str
    challenge: str
    method: str = "S256"


def new_pkce_pair() -> PkcePair:
    """A PKCE verifier (keep it in the session) and its S256 challenge (send it)."""
    verifier = secrets.token_urlsafe(64)[:128]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return PkcePair(
        verifier=verifier, challenge=base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    )


def new_state() -> str:
    """An unguessable ``state`` that ties the callback to the browser session that started it."""
    return secrets.token_urlsafe(32)


def authorization_url(
    provider: OAuthProvider,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    pkce: PkcePair | None = None,
    scopes: Sequence[str] | None = None,
) -> str:
    """Where to send the person connecting the account.

    Raises :class:`ValueError` if the provider requires PKCE and no pair is given.
    """
    if provider.uses_pkce and pkce is None:
        raise ValueError(
            f"{provider.platform.label} sign-in needs a PKCE pair; call new_pkce_pair()."
        )
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope_separator.join(scopes if scopes is not None else provider.scopes),
        "state": state,
        **provider.extra_authorize_params,
    }
    if pkce is not None:
        params |= {"code_challenge": pkce.challenge, "code_challenge_method": pkce.method}
    return f"{provider.authorize_url}?{urlencode(params)}"


class _TokenResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")
    access_token: str
    refresh_token: str = ""
    expires_in: float | None = None
    scope: str = ""
    token_type: str = "bearer"  # noqa: S105 - a token kind, not a secret


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime | None
    scope: str
    raw: Mapping[str, Any]


def _token_error(response: httpx.Response, body: Any, item_id: str) -> ConnectorError | None:
    if response.is_success or not isinstance(body, dict):
        return None
    if body.get("error") in ("invalid_grant", "invalid_token", "unauthorized_client"):
        detail = body.get("error_description") or body["error"]
        return ConnectorError(
            f"The platform refused the sign-in ({detail}). Connect the account again.",
            needs_reconnect=True,
        )
    return None


class OAuthClient:
    """Token calls for one provider and one registered app."""

    def __init__(
        self,
        provider: OAuthProvider,
        *,
        client_id: str,
        client_secret: str = "",
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.provider = provider
        self.client_id = client_id
        self.client_secret = client_secret
        self._clock = clock
        self.http = PlatformClient(
            platform=provider.platform,
            base_url="",
            transport=transport,
            sleep=sleep,
            classify_error=_token_error,
        )

    def exchange_code(
        self, *, code: str, redirect_uri: str, pkce: PkcePair | None = None
    ) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if pkce is not None:
            form["code_verifier"] = pkce.verifier
        return self._token(form)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        """A fresh access token; keeps the old refresh token when the platform sends none."""
        tokens = self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        if tokens.refresh_token:
            return tokens
        return TokenSet(
            tokens.access_token, refresh_token, tokens.expires_at, tokens.scope, tokens.raw
        )

    def _token(self, form: dict[str, str]) -> TokenSet:
        headers: dict[str, str] = {}
        if self.provider.client_auth == "basic" and self.client_secret:
            pair = f"{self.client_id}:{self.client_secret}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        else:
            form = {**form, "client_id": self.client_id}
            if self.client_secret:
                form["client_secret"] = self.client_secret
        # Token requests are not repeated after a timeout: a used code cannot be used twice.
        response = self.http.post(self.provider.token_url, data=form, headers=headers)
        return self._token_set(response.parse(_TokenResponse), response.body)

    def _token_set(self, token: _TokenResponse, raw: Any) -> TokenSet:
        expires_at = (
            self._clock() + timedelta(seconds=token.expires_in) if token.expires_in else None
        )
        return TokenSet(token.access_token, token.refresh_token, expires_at, token.scope, raw)

    def exchange_meta_long_lived_token(self, *, short_lived_token: str) -> TokenSet:
        """Facebook: a ~60-day user token for a short-lived one (``fb_exchange_token``)."""
        response = self.http.get(
            self.provider.token_url,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "fb_exchange_token": short_lived_token,
            },
        )
        return self._token_set(response.parse(_TokenResponse), response.body)

    def refresh_instagram_token(self, *, access_token: str) -> TokenSet:
        """Instagram Login: extend a long-lived token (it must be at least a day old)."""
        response = self.http.get(
            "https://graph.instagram.com/refresh_access_token",
            params={
                "grant_type": "ig_refresh_token",
                "access_token": access_token,
            },
        )
        return self._token_set(response.parse(_TokenResponse), response.body)


class _MastodonApp(BaseModel):
    model_config = ConfigDict(extra="ignore")
    client_id: str
    client_secret: str = ""


def register_mastodon_app(
    *,
    instance: str,
    redirect_uri: str,
    website: str = "",
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, str]:
    """Register Civic Desk on a Mastodon instance; returns (client id, client secret) to store."""
    http = PlatformClient(
        platform=Platform.MASTODON, base_url=instance.rstrip("/"), transport=transport
    )
    response = http.post(
        "/api/v1/apps",
        data={
            "client_name": "Civic Desk",
            "redirect_uris": redirect_uri,
            "scopes": " ".join(MASTODON_SCOPES),
            "website": website,
        },
    )
    app = response.parse(_MastodonApp)
    return app.client_id, app.client_secret


class _BlueskySession(BaseModel):
    model_config = ConfigDict(extra="ignore")
    did: str
    handle: str = ""
    accessJwt: str  # noqa: N815 - the lexicon's field name
    refreshJwt: str  # noqa: N815


def create_bluesky_session(
    *,
    identifier: str,
    app_password: str,
    service: str = "https://bsky.social",
    transport: httpx.BaseTransport | None = None,
) -> dict[str, str]:
    """Sign in with an app password once; returns the credentials BlueskyConnector expects.

    ``createSession`` is limited to 30 calls per 5 minutes per account: store the result and let
    the connector refresh it, never sign in per request.
    """
    http = PlatformClient(
        platform=Platform.BLUESKY, base_url=service.rstrip("/"), transport=transport
    )
    response = http.post(
        "/xrpc/com.atproto.server.createSession",
        json={"identifier": identifier, "password": app_password},
    )
    session = response.parse(_BlueskySession)
    return {
        "did": session.did,
        "handle": session.handle,
        "access_jwt": session.accessJwt,
        "refresh_jwt": session.refreshJwt,
    }
