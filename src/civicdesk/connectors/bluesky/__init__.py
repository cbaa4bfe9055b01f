"""Bluesky accounts through the AT Protocol: the connector, the records it reads and writes, the
facets of the posts it publishes, and the network an account is on."""

from .connector import BlueskyConnector
from .facets import facets_for
from .network import Network
from .records import split_at_uri

__all__ = ["BlueskyConnector", "Network", "facets_for", "split_at_uri"]
