"""Receiving platform webhooks: check, keep, and nudge the account's poller.

A delivery only says that something changed on a page. Rather than parse its partial payload,
the receiver asks for a poll of the accounts it names now, so everything still enters the
archive through one path (connector → ingest) with full data, and a lost or forged delivery can
at worst cause one extra poll.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from civicdesk.accounts.models import Account

from .base import Platform
from .models import WebhookDelivery
from .webhooks import (
    DeliveryRepeated,
    ReplayGuard,
    WebhookRejected,
    meta_delivery,
    verify_meta_signature,
)

KEY_PREFIX = "meta:"


@dataclass
class _DeliveryLog:
    """A ReplayGuard store that remembers a delivery by keeping it."""

    platform: str
    body: bytes
    delivery: WebhookDelivery | None = None

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return self._keep(key, refused_reason="")

    def keep_refused(self, key: str, reason: str) -> None:
        self._keep(key, refused_reason=reason)

    def _keep(self, key: str, *, refused_reason: str) -> bool:
        try:
            with transaction.atomic():
                self.delivery = WebhookDelivery.objects.create(
                    platform=self.platform,
                    delivery_id=key,
                    body=self.body.decode("utf-8", "replace"),
                    refused_reason=refused_reason,
                )
        except IntegrityError:
            return False
        return True


def receive_meta_delivery(
    *, body: bytes, signature: str | None, app_secret: str
) -> WebhookDelivery:
    """Check a Facebook/Instagram delivery, keep it, and bring forward the polls it concerns.

    Raises :class:`WebhookRejected` for a bad signature (nothing is kept), or for a signed
    delivery that is malformed, undatable, stale or repeated. A signed delivery is kept once,
    whether accepted or refused (then with the reason), as evidence of what was sent.
    """
    verify_meta_signature(body=body, signature_header=signature, app_secret=app_secret)
    log = _DeliveryLog(platform="meta", body=body)
    try:
        delivery = meta_delivery(body)
        ReplayGuard(store=log, key_prefix=KEY_PREFIX).check(delivery)
    except DeliveryRepeated:
        raise
    except WebhookRejected as refused:
        log.keep_refused(KEY_PREFIX + hashlib.sha256(body).hexdigest(), refused.reason)
        raise
    assert log.delivery is not None
    nudged = Account.objects.filter(
        Q(platform=Platform.FACEBOOK, options__page_id__in=delivery.entry_ids)
        | Q(platform=Platform.INSTAGRAM, options__ig_user_id__in=delivery.entry_ids)
    ).update(next_poll_at=timezone.now())
    _recheck_changed_items(body)
    log.delivery.accounts_nudged = nudged
    log.delivery.save(update_fields=["accounts_nudged"])
    return log.delivery


def _recheck_changed_items(body: bytes) -> None:
    """An item the delivery says was edited, hidden or removed is due for a re-check now.

    A poll reads only what is new; the re-check is what records the change itself.
    """
    from civicdesk.archive.rechecks import bring_forward  # the archive reads connectors

    changed: dict[str, set[str]] = {}
    for entry in json.loads(body).get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or value.get("verb", "add") == "add":
                continue
            named = value.get("comment_id") or value.get("post_id")
            if named:
                changed.setdefault(str(entry.get("id", "")), set()).add(str(named))
    for page_id, platform_ids in changed.items():
        for account in Account.objects.filter(platform=Platform.FACEBOOK, options__page_id=page_id):
            bring_forward(account=account, platform_ids=platform_ids, when=timezone.now())
