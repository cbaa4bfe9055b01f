"""Keeping an account signed in: a refused token is refreshed once before anyone is asked to
reconnect the account.

X access tokens last two hours, Google's an hour, Pinterest's a month; each comes with a refresh
token. An Instagram Login token is extended with itself (``ig_refresh_token``). When a poll is
refused with ``needs_reconnect`` and the stored credentials can be refreshed, the new ones are
stored (encrypted, with an audit event) and the refused call is made once more; only if that
fails too does the account get flagged, as before.

Bluesky refreshes its own session inside the connector; the old refresh JWT stops working when it
does, so the session the connector ends up with is stored after every page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.db import transaction

from civicdesk.connectors.base import Connector, ConnectorError, FetchPage, Platform
from civicdesk.connectors.oauth import PROVIDERS, OAuthClient, TokenSet
from civicdesk.core import audit

from .credentials import CredentialsUnreadable
from .models import Account

logger = logging.getLogger(__name__)

# Platforms whose tokens are refreshed with the OAuth ``refresh_token`` grant.
REFRESH_TOKEN_PLATFORMS = frozenset({Platform.X, Platform.YOUTUBE, Platform.PINTEREST})
INSTAGRAM_LOGIN_HOST = "graph.instagram.com"


@runtime_checkable
class RotatesCredentials(Protocol):
    """A connector whose credentials change while it works (Bluesky's sessions)."""

    @property
    def current_credentials(self) -> Mapping[str, Any]: ...


class RefreshingReader:
    """Reads an account through its connector, refreshing a refused token once per reader.

    ``connect`` builds the connector from the account (``registry.connector_for``); it is called
    again with the refreshed credentials.
    """

    def __init__(self, account: Account, *, connect: Callable[[Account], Connector]) -> None:
        self.account = account
        self._connect = connect
        self._connector = connect(account)
        self._refreshed = False

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        try:
            return self._fetch(cursor=cursor, limit=limit)
        except ConnectorError as error:
            if (
                not error.needs_reconnect
                or self._refreshed
                or not refresh_credentials(account=self.account)
            ):
                raise
            self._refreshed = True
            self._connector = self._connect(self.account)
            return self._fetch(cursor=cursor, limit=limit)

    def _fetch(self, *, cursor: str, limit: int) -> FetchPage:
        try:
            return self._connector.fetch_new(cursor=cursor, limit=limit)
        finally:
            keep_rotated_session(account=self.account, connector=self._connector)


def refresh_credentials(*, account: Account) -> bool:
    """Replace the account's refused token with a fresh one; False when it cannot be refreshed.

    Returns True without asking the platform when another worker stored new credentials since
    ``account`` was loaded. Raises a retryable :class:`ConnectorError` when the token endpoint
    could not be reached: the poll is retried later instead of the account being flagged.
    """
    stored = Account.objects.only("encrypted_credentials", "credentials_hint").get(pk=account.pk)
    if stored.encrypted_credentials != account.encrypted_credentials:
        account.encrypted_credentials = stored.encrypted_credentials
        account.credentials_hint = stored.credentials_hint
        return True
    try:
        credentials = account.get_credentials()
    except CredentialsUnreadable:
        return False
    tokens = _fresh_tokens(account, credentials)
    if tokens is None:
        return False
    refreshed = {**credentials, "access_token": tokens.access_token}
    if tokens.refresh_token:
        refreshed["refresh_token"] = tokens.refresh_token
    if tokens.expires_at:
        refreshed["expires_at"] = tokens.expires_at.isoformat()
    _store(account, refreshed, how="refresh token")
    logger.info("Refreshed the %s token of %s.", account.get_platform_display(), account)
    return True


def keep_rotated_session(*, account: Account, connector: object) -> bool:
    """Store the credentials a connector rotated while it worked; True if they changed."""
    if not isinstance(connector, RotatesCredentials):
        return False
    try:
        stored = account.get_credentials()
    except CredentialsUnreadable:
        return False
    current = {**stored, **connector.current_credentials}
    if current == stored:
        return False
    _store(account, current, how="session refresh")
    return True


def _fresh_tokens(account: Account, credentials: Mapping[str, Any]) -> TokenSet | None:
    platform = Platform(account.platform)
    app = settings.PLATFORM_APPS.get(platform.value, {})
    instagram_login = (
        platform == Platform.INSTAGRAM
        and account.options.get("graph_host") == INSTAGRAM_LOGIN_HOST
        and credentials.get("access_token")
    )
    if not instagram_login and not (
        platform in REFRESH_TOKEN_PLATFORMS and credentials.get("refresh_token")
    ):
        return None
    if not instagram_login and not app.get("client_id"):
        logger.warning(
            "%s holds a refresh token, but no %s app is configured to use it.",
            account,
            platform.label,
        )
        return None
    client = OAuthClient(
        PROVIDERS[platform],
        client_id=str(app.get("client_id", "")),
        client_secret=str(app.get("client_secret", "")),
    )
    try:
        if instagram_login:
            return client.refresh_instagram_token(access_token=str(credentials["access_token"]))
        return client.refresh(refresh_token=str(credentials["refresh_token"]))
    except ConnectorError as error:
        if not error.permanent:
            raise
        logger.warning("Refreshing the token of %s failed: %s", account, error.message)
        return None


@transaction.atomic
def _store(account: Account, credentials: dict[str, Any], *, how: str) -> None:
    account.set_credentials(credentials)
    account.save(update_fields=["encrypted_credentials", "credentials_hint"])
    audit.record("account.token_refreshed", target=account, how=how)
