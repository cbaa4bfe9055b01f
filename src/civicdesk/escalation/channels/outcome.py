"""What one delivery attempt came to, and when to try again."""

from __future__ import annotations

import enum
from dataclasses import dataclass

# 15 s, 30 s, 1 min, 2 min, 4 min, 8 min, 15 min, 15 min: about half an hour of trying in all.
MAX_ATTEMPTS = 8
FIRST_WAIT = 15.0
LONGEST_WAIT = 15 * 60.0
# Long enough for the provider's words and a code, short enough for a row on a policy page.
ERROR_LIMIT = 300


class Status(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"  # permanent: trying again would fail the same way


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    provider_id: str = ""
    error: str = ""
    # Seconds the provider asked for before the next try; None leaves it to ``backoff``.
    retry_after: float | None = None

    @classmethod
    def delivered(cls, provider_id: str = "") -> Outcome:
        return cls(Status.DELIVERED, provider_id=provider_id)

    @classmethod
    def retry(cls, error: str, *, retry_after: float | None = None) -> Outcome:
        return cls(Status.RETRY, error=short_error(error), retry_after=retry_after)

    @classmethod
    def failed(cls, error: str) -> Outcome:
        return cls(Status.FAILED, error=short_error(error))


def short_error(text: str) -> str:
    """One line of at most ``ERROR_LIMIT`` characters, for storing and showing."""
    line = " ".join(text.split())
    return line if len(line) <= ERROR_LIMIT else line[: ERROR_LIMIT - 1] + "…"


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based) before the next one."""
    if attempt < 1:
        raise ValueError(f"Attempts are counted from 1, not {attempt}.")
    # Capping the exponent first keeps a huge attempt number from overflowing the float.
    return min(LONGEST_WAIT, FIRST_WAIT * 2.0 ** min(attempt - 1, 32))
