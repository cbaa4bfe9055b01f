"""Receiving platform webhooks: check, keep, and nudge the account's poller.

A delivery only says that something changed on a page. Rather than parse its partial payload,
the receiver asks for a poll of the accounts it names now, so everything still enters the
archive through one path (connector → ingest) with full data, and a lost or forged delivery can
at worst cause one extra poll.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from civicdesk.accounts.models import Account

from .base import Platform
from .models import WebhookDelivery
from .webhooks import ReplayGuard, WebhookRejected, meta_delivery, verify_meta_signature


@dataclass
class _DeliveryLog:
    """A ReplayGuard store that remembers a delivery by keeping it."""

    platform: str
    body: bytes
    delivery: WebhookDelivery | None = None

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        try:
            with transaction.atomic():
                self.delivery = WebhookDelivery.objects.create(
                    platform=self.platform,
                    delivery_id=key,
                    body=self.body.decode("utf-8", "replace"),
                )
        except IntegrityError:
            return False
        return True


def receive_meta_delivery(
    *, body: bytes, signature: str | None, app_secret: str
) -> WebhookDelivery:
    """Check a Facebook/Instagram delivery, keep it, and bring forward the polls it concerns.

    Raises :class:`WebhookRejected` for a bad signature, a stale or repeated delivery.
    """
    verify_meta_signature(body=body, signature_header=signature, app_secret=app_secret)
    log = _DeliveryLog(platform="meta", body=body)
    ReplayGuard(store=log, key_prefix="meta:").check(meta_delivery(body))
    assert log.delivery is not None
    ids = _entry_ids(body)
    nudged = Account.objects.filter(
        Q(platform=Platform.FACEBOOK, options__page_id__in=ids)
        | Q(platform=Platform.INSTAGRAM, options__ig_user_id__in=ids)
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


def _entry_ids(body: bytes) -> list[str]:
    payload = json.loads(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise WebhookRejected("The delivery has no entries.")
    return [str(e["id"]) for e in payload["entry"] if isinstance(e, dict) and "id" in e]
