"""Snapchat: a manual account.

Snapchat has no public API for reading or moderating comments on organic Public Profile
content, and its Public Profile publishing API is open only to approved partners. So this
connector declares no capabilities and reads nothing; staff log Snapchat posts by hand (URL,
screenshot, time) so the archive is still complete.
"""

from __future__ import annotations

from typing import ClassVar

from civicdesk.connectors.base import Connector, FetchPage, Platform


class SnapchatConnector(Connector):
    platform: ClassVar[Platform] = Platform.SNAPCHAT
    capabilities = frozenset()

    def fetch_new(self, *, cursor: str, limit: int) -> FetchPage:
        """Always empty: there is nothing to poll."""
        return FetchPage(items=(), next_cursor=cursor)
