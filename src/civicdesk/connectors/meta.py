"""What Facebook and Instagram share: the Graph API's error codes and its cursor paging.

Meta reports most failures as HTTP 400 with an ``error.code`` rather than with the status code:
an expired token is code 190, throttling is code 4, 17, 32, 613 or 80001-80014 (answered as 400
or 403, rarely 429), and an object that is gone is code 100 subcode 33. So the status-code rules
of :mod:`civicdesk.connectors.http` are refined here before they apply.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from civicdesk.connectors.base import ConnectorError, ItemGone, Platform
from civicdesk.connectors.http import (
    DEFAULT_RETRY_AFTER,
    ErrorClassifier,
    HttpConnector,
    PlatformClient,
    parse_rate_limit,
)

DEFAULT_API_VERSION = "v23.0"
RECONNECT_CODES = frozenset({102, 190})
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613}) | frozenset(range(80001, 80015))
PERMISSION_CODES = frozenset({10, 3, 368}) | frozenset(range(200, 300))
GONE_SUBCODES = frozenset({33})


class GraphCursors(BaseModel):
    model_config = ConfigDict(extra="ignore")
    before: str = ""
    after: str = ""


class GraphPaging(BaseModel):
    model_config = ConfigDict(extra="ignore")
    cursors: GraphCursors = GraphCursors()
    # Present only when another page exists; the URL itself carries the token, so only its
    # presence is used and the token never lands in a cursor or a log.
    next: str = ""


class GraphList(BaseModel):
    model_config = ConfigDict(extra="ignore")
    data: list[dict[str, Any]]
    paging: GraphPaging = GraphPaging()

    @property
    def after(self) -> str:
        return self.paging.cursors.after if self.paging.next else ""


def graph_error_classifier(platform: Platform) -> ErrorClassifier:
    """An ``ErrorClassifier`` for a Graph API host, labelled with ``platform``."""

    def classify(response: httpx.Response, body: Any, item_id: str) -> ConnectorError | None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        code = error.get("code")
        subcode = error.get("error_subcode")
        message = str(error.get("message") or "no message")
        label = platform.label
        if code in RECONNECT_CODES:
            return ConnectorError(
                f"{label} no longer accepts this account's token ({message}). "
                "Reconnect the account.",
                needs_reconnect=True,
            )
        if code in THROTTLE_CODES:
            wait = parse_rate_limit(response.headers, now=0).reset_after
            if "retry-after" in response.headers:
                wait = float(response.headers["retry-after"])
            return ConnectorError(
                f"{label} is throttling this account (code {code}): {message}",
                retry_after=wait if wait else DEFAULT_RETRY_AFTER,
            )
        if code == 100 and subcode in GONE_SUBCODES and item_id:
            return ItemGone(label, item_id)
        if code in PERMISSION_CODES:
            return ConnectorError(
                f"{label} refused the request for lack of permission (code {code}): {message}",
                permanent=True,
            )
        if error.get("is_transient") or code in (1, 2):
            if response.status_code >= 500:
                return None  # the generic 5xx rule retries with backoff
            return ConnectorError(f"{label} had a temporary problem (code {code}): {message}")
        return None

    return classify


def appsecret_proof(*, access_token: str, app_secret: str) -> str:
    """The ``appsecret_proof`` Meta requires when the app has "Require App Secret" switched on."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def graph_client(
    connector: HttpConnector,
    *,
    token: str,
    host: str = "graph.facebook.com",
    params: dict[str, str] | None = None,
) -> PlatformClient:
    """The Graph API client Facebook and Instagram share: pinned version, bearer token, errors."""
    version = str(connector.options.get("api_version", DEFAULT_API_VERSION))
    return connector.make_client(
        base_url=f"https://{host}/{version}",
        headers={"Authorization": f"Bearer {token}"},
        params=params,
        classify_error=graph_error_classifier(connector.platform),
    )
