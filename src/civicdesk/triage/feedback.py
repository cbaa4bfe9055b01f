"""Staff corrections: a wrong signal or a wrong queue becomes a label for the next training."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest

from civicdesk.archive.models import Item
from civicdesk.core import audit
from civicdesk.core.models import Unit
from civicdesk.inbox.models import Entry

from .models import Correction
from .signals import SIGNALS, Kind


@transaction.atomic
def correct_signal(
    *, item: Item, signal: str, label: str, by: User, request: HttpRequest | None = None
) -> Correction:
    """Record that ``signal`` should have been ``label`` ("1"/"0", or a class) for the item's text."""
    spec = SIGNALS.get(signal)
    if spec is None or spec.kind == Kind.LABEL:
        raise ValueError(f"{signal!r} is not a signal staff can correct.")
    allowed = spec.classes if spec.kind == Kind.MULTICLASS else ("0", "1")
    if label not in allowed:
        raise ValueError(f"{signal} takes one of {', '.join(allowed)}, not {label!r}.")
    if item.latest_version is None:
        raise ValueError("The item has no archived text to correct yet.")
    correction = Correction.objects.create(
        item=item, version=item.latest_version, signal=signal, label=label, by=by
    )
    entry = Entry.objects.filter(item=item).first()
    if entry is not None and spec.kind != Kind.MULTICLASS:
        badges = [b for b in entry.signal_badges if b != signal] + (
            [signal] if label == "1" else []
        )
        entry.signal_badges = badges
        entry.save(update_fields=["signal_badges"])
    audit.record(
        "triage.signal_corrected", target=item, by=by, request=request, signal=signal, label=label
    )
    return correction


@transaction.atomic
def reroute(
    *, entry: Entry, to: Unit | None, by: User, request: HttpRequest | None = None
) -> Correction:
    """Send the item to another department's queue (or back to its account's unit)."""
    version = entry.item.latest_version
    if version is None:
        raise ValueError("The item has no archived text to route yet.")
    previous = entry.queue
    entry.queue, entry.queue_is_manual = to, True
    entry.route_reason = (
        f"Sent to {to.name} by {by.get_username()}."
        if to
        else f"Sent back to {entry.unit.name} by {by.get_username()}."
    )
    entry.save(update_fields=["queue", "queue_is_manual", "route_reason"])
    correction = Correction.objects.create(item=entry.item, version=version, routed_to=to, by=by)
    audit.record(
        "inbox.rerouted",
        target=entry.item,
        by=by,
        request=request,
        **{
            "from": previous.name if previous else entry.unit.name,
            "to": to.name if to else entry.unit.name,
        },
    )
    return correction


def feedback_labels() -> list[tuple[str, str, str]]:
    """(text, signal, label) for every signal correction, latest per item and signal: training input."""
    latest: dict[tuple[int, str], tuple[str, str, str]] = {}
    for correction in (
        Correction.objects.exclude(signal="").select_related("version").order_by("created_at")
    ):
        latest[(correction.item_id, correction.signal)] = (
            correction.version.text,
            correction.signal,
            correction.label,
        )
    return list(latest.values())
