"""Which connector serves an account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from civicdesk.accounts.credentials import CredentialsUnreadable

from .base import Connector, ConnectorError
from .platforms import CONNECTORS
from .replay import ReplayConnector

if TYPE_CHECKING:
    from civicdesk.accounts.models import Account


def connector_for(account: Account) -> Connector:
    """The connector for ``account``, holding its decrypted credentials."""
    options = account.options or {}
    if options.get("replay_path"):
        # A lookup sees only the listed lines the account's polls have read (see lookup()).
        return ReplayConnector(
            handle=account.handle,
            credentials={},
            options={**options, "replay_cursor": account.cursor},
        )
    try:
        cls = CONNECTORS[account.platform]
    except KeyError as exc:
        raise ConnectorError(
            f"No connector is installed for {account.get_platform_display()} accounts.",
            permanent=True,
        ) from exc
    try:
        credentials = account.get_credentials()
    except CredentialsUnreadable as exc:
        raise ConnectorError(str(exc), needs_reconnect=True) from exc
    return cls(handle=account.handle, credentials=credentials, options=options)
