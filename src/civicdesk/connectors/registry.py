"""Which connector serves an account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Connector, ConnectorError
from .replay import ReplayConnector

if TYPE_CHECKING:
    from civicdesk.accounts.models import Account


def connector_for(account: Account) -> Connector:
    """The connector for ``account``, holding its decrypted credentials."""
    options = account.options or {}
    if options.get("replay_path"):
        connector: Connector = ReplayConnector(
            handle=account.handle, credentials={}, options=options
        )
        return connector
    live = _live_connectors()
    try:
        cls = live[account.platform]
    except KeyError as exc:
        raise ConnectorError(
            f"No connector is installed for {account.get_platform_display()} accounts.",
            permanent=True,
        ) from exc
    return cls(handle=account.handle, credentials=account.get_credentials(), options=options)


def _live_connectors() -> dict[str, type[Connector]]:
    try:
        from .platforms import CONNECTORS
    except ImportError:
        return {}
    return dict(CONNECTORS)
