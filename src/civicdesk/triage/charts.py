"""A small precision/recall chart per signal, drawn as inline SVG on the server (no script)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 320, 150, 28


def _x(t: float) -> float:
    return PAD + t * (WIDTH - 2 * PAD)


def _y(v: float) -> float:
    return HEIGHT - PAD + -v * (HEIGHT - 2 * PAD)


def threshold_chart(curve: Sequence[dict[str, float]], current: float) -> SafeString:
    """Precision and recall against the threshold, with the organization's threshold marked.

    Only numbers go into the markup, so it is safe to mark as such.
    """

    def line(key: str) -> str:
        return " ".join(f"{_x(p['threshold']):.1f},{_y(p[key]):.1f}" for p in curve)

    ticks = "".join(
        f'<text x="{_x(t):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{t:.1f}</text>'
        for t in (0, 0.25, 0.5, 0.75, 1)
    )
    return mark_safe(  # noqa: S308 - numbers only
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="Precision and recall by threshold; the line marks {current:.2f}" class="pr-chart">'
        f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" class="frame"/>'
        f'<polyline points="{line("precision")}" class="precision"/>'
        f'<polyline points="{line("recall")}" class="recall"/>'
        f'<line x1="{_x(current):.1f}" x2="{_x(current):.1f}" y1="{PAD - 6}" y2="{HEIGHT - PAD}" class="marker"/>'
        f'<text x="{PAD}" y="{PAD - 10}">1.0</text><text x="{PAD}" y="{HEIGHT - PAD - 3}">0</text>{ticks}'
        "</svg>"
    )
