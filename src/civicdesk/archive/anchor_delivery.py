"""E-mailing the signed anchors to the records officer once a day, to be kept off this server."""

from __future__ import annotations

import json
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from civicdesk.core import owed

from .anchoring import Anchor, anchor_file, key_id, public_key_pem, read_anchors, signing_key
from .models import AnchorDelivery


def claim_anchor_delivery(*, today: date) -> AnchorDelivery | None:
    """Claim today's e-mail of the anchors, once, and owe its sending; None if not due or not set up.

    Sending is owed work (``core.owed``): an e-mail that failed (the mail server was down) or
    whose worker was killed is sent again by the scheduler's sweep.
    """
    if not settings.RECORDS_OFFICER_EMAIL:
        return None
    if AnchorDelivery.objects.filter(day=today).exists():
        return None
    from .tasks import send_anchors

    try:
        with transaction.atomic():
            delivery = AnchorDelivery.objects.create(day=today, claimed_at=timezone.now())
            owed.owe(send_anchors, delivery_id=delivery.pk)
    except IntegrityError:
        return None  # claimed a moment ago by another scheduler
    return delivery


def send_anchors(*, delivery: AnchorDelivery) -> int:
    """E-mail every anchor line not sent before; returns how many lines were sent."""
    if delivery.sent_at is not None:
        return 0
    since = (
        AnchorDelivery.objects.filter(sent_at__isnull=False).aggregate(last=Max("last_seal"))[
            "last"
        ]
        or 0
    )
    path = anchor_file()
    lines: list[str] = []
    numbers: list[int] = []
    if path.exists():
        for entry in read_anchors(path):
            if isinstance(entry, Anchor) and entry.seal > since and entry.seal not in numbers:
                numbers.append(entry.seal)
                lines.append(_line(entry))
    key = signing_key().public_key()
    recipient = settings.RECORDS_OFFICER_EMAIL
    if lines:
        body = (
            f"Attached are the signed anchors of the archive's seals {numbers[0]} to "
            f"{numbers[-1]}, made since the last of these e-mails.\n\n"
            "Keep this attachment somewhere other than the Civic Desk server, together with the "
            "earlier ones. To check the archive against them:\n\n"
            "    civicdesk verify-archive --anchors ANCHOR_FILES… --public-key anchor_key.pub\n\n"
            f"The anchors are signed with the key {key_id(key)}. Its public key, which you "
            "should also have kept from the first of these e-mails, is:\n\n"
            f"{public_key_pem(key)}"
        )
        message = EmailMessage(
            subject=f"Civic Desk archive anchors for {delivery.day:%Y-%m-%d}",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
        )
        message.attach(f"anchors-{delivery.day:%Y-%m-%d}.jsonl", "".join(lines), "application/json")
        message.send()
    AnchorDelivery.objects.filter(pk=delivery.pk).update(
        first_seal=numbers[0] if numbers else None,
        last_seal=numbers[-1] if numbers else since or None,
        sent_to=recipient,
        sent_at=timezone.now(),
    )
    return len(lines)


def _line(entry: Anchor) -> str:
    return json.dumps(entry.fields, sort_keys=True, separators=(",", ":")) + "\n"
