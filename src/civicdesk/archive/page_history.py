"""Which states of a page are already in their item's history, when a page holds several.

A page may hold an item's original and its edit (a replay, a thread read whole). Storing that
page twice (a retry, a push racing a poll) must not write "original, edited, original, edited":
where the page's sequence of states for an item is already in the item's history (its leading
states as the newest versions, or the whole sequence anywhere in the recent history), those
states are not written again. A single state is compared with the latest version only, so that
an edit back to an earlier wording is still recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import Q

from .hashing import content_sha256
from .models import ItemVersion

# How far back a page holding several states of one item is looked for in its history.
HISTORY_WINDOW = 50
# SQLite allows 32,766 bound parameters per statement; stay well below it.
LOOKUP_CHUNK = 900


class StoredState(Protocol):
    """What the walk needs to know of an item ingest holds the latest state of."""

    @property
    def item_id(self) -> int | None: ...

    @property
    def is_new(self) -> bool: ...

    @property
    def seq(self) -> int: ...

    @property
    def content(self) -> dict[str, Any]: ...


@dataclass
class PageWalk:
    skip: dict[str, int] = field(default_factory=dict)
    seen: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def plan(
        cls,
        platform_ids: Sequence[str],
        contents: Sequence[dict[str, Any]],
        shas: Sequence[str],
        deleted: Sequence[str],
        states: Mapping[str, StoredState],
    ) -> PageWalk:
        sequences: dict[str, list[str]] = {}
        last: dict[str, dict[str, Any]] = {}
        for platform_id, content, sha in zip(platform_ids, contents, shas, strict=True):
            sequence = sequences.setdefault(platform_id, [])
            if not sequence or sequence[-1] != sha:
                sequence.append(sha)
            last[platform_id] = content
        for platform_id in deleted:
            state = states.get(platform_id)
            base = last.get(platform_id) or (state.content if state else None)
            if base and not base.get("is_deleted"):
                sequences.setdefault(platform_id, []).append(
                    content_sha256({**base, "is_deleted": True})
                )
        several = {
            pid: seq
            for pid, seq in sequences.items()
            if len(seq) > 1 and pid in states and not states[pid].is_new
        }
        walk = cls()
        if not several:
            return walk
        histories = _recent_histories(
            [states[pid] for pid in several], extra=max(map(len, several.values()))
        )
        for pid, sequence in several.items():
            history = histories.get(states[pid].item_id or 0, [])
            walk.skip[pid] = _already_in(history, sequence)
        return walk

    def already_stored(self, platform_id: str, sha: str) -> bool:
        """Walk the page's states in order; True for those its item's history already holds."""
        skip = self.skip.get(platform_id, 0)
        if not skip:
            return False
        seen = self.seen.setdefault(platform_id, [])
        if not seen or seen[-1] != sha:
            seen.append(sha)
        return len(seen) <= skip


def _already_in(history: list[str], sequence: list[str]) -> int:
    """How many leading states of ``sequence`` need no new version, given ``history``."""
    n = len(sequence)
    for start in range(len(history) - n + 1):
        if history[start : start + n] == sequence:
            return n
    for k in range(min(n, len(history)), 0, -1):
        if history[-k:] == sequence[:k]:
            return k
    return 0


def _recent_histories(states: list[StoredState], *, extra: int) -> dict[int, list[str]]:
    """The content hashes of each item's newest versions, oldest first."""
    histories: dict[int, list[str]] = {}
    for start in range(0, len(states), LOOKUP_CHUNK // 3):
        chunk = states[start : start + LOOKUP_CHUNK // 3]
        window = Q()
        for state in chunk:
            window |= Q(item_id=state.item_id, seq__gt=state.seq - HISTORY_WINDOW - extra)
        for item_id, sha in (
            ItemVersion.objects.filter(window)
            .order_by("item_id", "seq")
            .values_list("item_id", "content_sha256")
        ):
            histories.setdefault(item_id, []).append(sha)
    return histories
