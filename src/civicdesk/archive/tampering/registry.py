"""The register of tamperings: those ``verify-archive`` must find, and those it cannot, with why.

Each case changes the archive as someone with full access to the server could, and returns
False when the archive holds nothing it could be applied to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .scene import Scene

FORGED = "This was never posted."


@dataclass(frozen=True)
class Tampering:
    name: str
    what: str
    apply: Callable[[Scene], bool]
    # Set on a tampering no check can find; says why, and how long the window is.
    undetectable_because: str = ""


DETECTABLE: list[Tampering] = []
UNDETECTABLE: list[Tampering] = []


def tampering(
    name: str, what: str, *, undetectable_because: str = ""
) -> Callable[[Callable[[Scene], bool]], Callable[[Scene], bool]]:
    def register(apply: Callable[[Scene], bool]) -> Callable[[Scene], bool]:
        case = Tampering(name, what, apply, undetectable_because)
        (UNDETECTABLE if undetectable_because else DETECTABLE).append(case)
        return apply

    return register


def sealed_version(scene: Scene, *, min_versions: int = 2, index: int = 0) -> dict[str, Any] | None:
    item_id = scene.sealed_item(min_versions=min_versions)
    return scene.versions(item_id)[index] if item_id else None
