"""Connecting an official account: signing in on the platform and keeping its keys.

OAuth platforms (Facebook, Instagram, X, YouTube, Pinterest) go through the agency's registered
app; Bluesky connects with an app password; Mastodon with an access token created in the
account's own settings. Whatever the way, the keys are stored encrypted and the account's
status is reset, in one transaction with the audit event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from civicdesk.connectors.base import ConnectorError, Platform
from civicdesk.connectors.http import PlatformClient
from civicdesk.connectors.mastodon import MastodonAccount
from civicdesk.connectors.mastodon import classify_error as mastodon_error
from civicdesk.connectors.meta import DEFAULT_API_VERSION
from civicdesk.connectors.oauth import (
    PROVIDERS,
    OAuthClient,
    PkcePair,
    TokenSet,
    authorization_url,
    create_bluesky_session,
    new_pkce_pair,
    new_state,
)
from civicdesk.core import audit

from .models import Account

OAUTH_PLATFORMS = (
    Platform.FACEBOOK,
    Platform.INSTAGRAM,
    Platform.X,
    Platform.YOUTUBE,
    Platform.PINTEREST,
)


# Where each platform's connector finds the account's own id when connecting does not ask for it.
OWN_ID_OPTIONS = {
    Platform.FACEBOOK: "page_id",
    Platform.INSTAGRAM: "ig_user_id",
    Platform.X: "user_id",
    Platform.YOUTUBE: "channel_id",
    Platform.MASTODON: "account_id",
}


class NotConfigured(Exception):
    pass


@dataclass(frozen=True)
class PendingSignIn:
    """What the browser session remembers between leaving for the platform and coming back."""

    account_id: int
    state: str
    verifier: str = ""

    def as_session(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "state": self.state, "verifier": self.verifier}


def app_for(platform: str) -> tuple[str, str]:
    app = settings.PLATFORM_APPS.get(platform, {})
    if not app.get("client_id"):
        name = platform.upper()
        raise NotConfigured(
            f"Civic Desk has no {Platform(platform).label} app yet. An administrator must register one "
            f"and set CIVICDESK_{name}_CLIENT_ID and CIVICDESK_{name}_CLIENT_SECRET."
        )
    return app["client_id"], app.get("client_secret", "")


def state_matches(returned: str, expected: object) -> bool:
    """Whether the ``state`` the platform sent back is the one this session sent out.

    Compared in constant time, so timing reveals nothing about the expected value.
    """
    if not isinstance(expected, str) or not expected or not returned:
        return False
    return secrets.compare_digest(returned.encode(), expected.encode())


def start_sign_in(*, account: Account, redirect_uri: str) -> tuple[str, PendingSignIn]:
    """The platform's sign-in URL, and what to keep in the session until the person returns."""
    client_id, _ = app_for(account.platform)
    provider = PROVIDERS[account.platform]
    pkce = new_pkce_pair() if provider.uses_pkce else None
    pending = PendingSignIn(
        account_id=account.pk, state=new_state(), verifier=pkce.verifier if pkce else ""
    )
    url = authorization_url(
        provider, client_id=client_id, redirect_uri=redirect_uri, state=pending.state, pkce=pkce
    )
    return url, pending


def finish_sign_in(
    *,
    account: Account,
    pending: PendingSignIn,
    code: str,
    redirect_uri: str,
    by: User,
    request: HttpRequest | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Account:
    """Exchange the code the platform sent back for tokens and keep them with the account."""
    client_id, client_secret = app_for(account.platform)
    provider = PROVIDERS[account.platform]
    client = OAuthClient(
        provider, client_id=client_id, client_secret=client_secret, transport=transport
    )
    pkce = (
        PkcePair(verifier=pending.verifier, challenge="", method="S256")
        if pending.verifier
        else None
    )
    tokens = client.exchange_code(code=code, redirect_uri=redirect_uri, pkce=pkce)
    if account.platform == Platform.FACEBOOK:
        long_lived = client.exchange_meta_long_lived_token(short_lived_token=tokens.access_token)
        credentials = {"access_token": _page_token(account, long_lived.access_token, transport)}
    else:
        credentials = _token_credentials(tokens)
    return save_credentials(
        account=account, credentials=credentials, how="oauth", by=by, request=request
    )


def _token_credentials(tokens: TokenSet) -> dict[str, str]:
    credentials = {"access_token": tokens.access_token}
    if tokens.refresh_token:
        credentials["refresh_token"] = tokens.refresh_token
    if tokens.expires_at:
        credentials["expires_at"] = tokens.expires_at.isoformat()
    return credentials


def _page_token(account: Account, user_token: str, transport: httpx.BaseTransport | None) -> str:
    """A Page's own token (it does not expire) from the person's long-lived user token."""
    page_id = str(account.options.get("page_id", ""))
    http = PlatformClient(
        platform=Platform.FACEBOOK,
        base_url=f"https://graph.facebook.com/{DEFAULT_API_VERSION}",
        transport=transport,
    )
    pages = http.get(
        "/me/accounts", params={"access_token": user_token, "fields": "id,name,access_token"}
    ).body
    for page in pages.get("data", []) if isinstance(pages, dict) else []:
        if str(page.get("id")) == page_id and page.get("access_token"):
            return str(page["access_token"])
    raise ConnectorError(
        f"The person who signed in does not manage the Page {page_id or '(no page id set)'}; "
        "sign in as one of the Page's admins.",
        permanent=True,
    )


def connect_bluesky(
    *,
    account: Account,
    identifier: str,
    app_password: str,
    by: User,
    request: HttpRequest | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Account:
    service = str(account.options.get("service", "https://bsky.social"))
    credentials = create_bluesky_session(
        identifier=identifier, app_password=app_password, service=service, transport=transport
    )
    return save_credentials(
        account=account, credentials=credentials, how="app password", by=by, request=request
    )


def connect_mastodon(
    *,
    account: Account,
    access_token: str,
    by: User,
    request: HttpRequest | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Account:
    """Check the token with the account's instance and keep it, with the account's id there.

    Raises :class:`ConnectorError` when the instance refuses the token.
    """
    instance = str(account.options.get("instance", "")).rstrip("/")
    if not instance:
        raise ConnectorError(
            "The account has no Mastodon instance yet; an administrator must set its "
            '"instance" option (for example https://mastodon.social).',
            permanent=True,
        )
    http = PlatformClient(
        platform=Platform.MASTODON,
        base_url=instance,
        headers={"Authorization": f"Bearer {access_token}"},
        transport=transport,
        classify_error=mastodon_error,
    )
    try:
        me = http.get("/api/v1/accounts/verify_credentials").parse(MastodonAccount)
    finally:
        http.close()
    account.options = {**account.options, "account_id": me.id}
    return save_credentials(
        account=account,
        credentials={"access_token": access_token},
        how="access token",
        by=by,
        request=request,
        platform_account_id=me.id,
    )


def own_account_id(account: Account, credentials: dict[str, Any]) -> str:
    """The platform's id for the account, from what connecting it already knows."""
    if account.platform == Platform.BLUESKY:
        return str(credentials.get("did", ""))
    option = OWN_ID_OPTIONS.get(Platform(account.platform))
    return str(account.options.get(option) or "") if option else ""


@transaction.atomic
def save_credentials(
    *,
    account: Account,
    credentials: dict[str, Any],
    how: str,
    by: User,
    request: HttpRequest | None,
    platform_account_id: str = "",
) -> Account:
    account.set_credentials(credentials)
    account.platform_account_id = platform_account_id or own_account_id(account, credentials)
    account.status = Account.Status.ACTIVE
    account.last_error = ""
    account.next_poll_at = timezone.now()
    if account.custodian_id is None:
        account.custodian = by
    account.save(
        update_fields=[
            "encrypted_credentials",
            "credentials_hint",
            "platform_account_id",
            "options",
            "status",
            "last_error",
            "next_poll_at",
            "custodian",
        ]
    )
    audit.record("account.connected", target=account, by=by, request=request, how=how)
    return account
