"""Which connector serves which platform, and the README's capability table built from them.

The lead's ``registry.py`` decides how accounts get a connector instance; this module only maps
a :class:`~civicdesk.connectors.base.Platform` value to its class, so the table in the README
can never disagree with what the code declares.
"""

from __future__ import annotations

from civicdesk.connectors.base import Capability, Connector, Platform
from civicdesk.connectors.bluesky import BlueskyConnector
from civicdesk.connectors.facebook import FacebookConnector
from civicdesk.connectors.instagram import InstagramConnector
from civicdesk.connectors.mastodon import MastodonConnector
from civicdesk.connectors.pinterest import PinterestConnector
from civicdesk.connectors.rss import RssConnector
from civicdesk.connectors.snapchat import SnapchatConnector
from civicdesk.connectors.x import XConnector
from civicdesk.connectors.youtube import YouTubeConnector

CONNECTORS: dict[str, type[Connector]] = {
    connector.platform.value: connector
    for connector in (
        FacebookConnector,
        InstagramConnector,
        XConnector,
        YouTubeConnector,
        PinterestConnector,
        SnapchatConnector,
        MastodonConnector,
        BlueskyConnector,
        RssConnector,
    )
}


def capability_table_markdown() -> str:
    """A Markdown table, one row per platform (in ``Platform`` order), one column per operation."""
    capabilities = list(Capability)
    lines = [
        "| Platform | " + " | ".join(c.value.capitalize() for c in capabilities) + " |",
        "|---|" + "---|" * len(capabilities),
    ]
    for platform in Platform:
        connector = CONNECTORS[platform.value]
        cells = ["yes" if c in connector.capabilities else "—" for c in capabilities]
        lines.append(f"| {platform.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
