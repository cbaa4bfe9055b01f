"""The capability table in the README is generated from what each connector declares."""

from __future__ import annotations

from civicdesk.connectors.base import Capability, Platform
from civicdesk.connectors.platforms import CONNECTORS, capability_table_markdown


def test_every_platform_has_a_connector() -> None:
    assert set(CONNECTORS) == {p.value for p in Platform}
    assert all(CONNECTORS[p.value].platform == p for p in Platform)


def test_the_table_has_a_row_per_platform_and_a_column_per_operation() -> None:
    lines = capability_table_markdown().splitlines()
    assert lines[0] == "| Platform | " + " | ".join(c.value.capitalize() for c in Capability) + " |"
    assert len(lines) == 2 + len(Platform)
    assert all(line.count("|") == len(Capability) + 2 for line in lines)


def test_the_table_follows_the_declared_capabilities() -> None:
    rows = {
        line.split(" | ")[0].removeprefix("| "): line
        for line in capability_table_markdown().splitlines()[2:]
    }
    assert rows["Snapchat"] == "| Snapchat |" + " — |" * len(Capability)
    hide_column = list(Capability).index(Capability.HIDE) + 1
    assert rows["Mastodon"].split(" | ")[hide_column] == "—"
    assert rows["Facebook"].split(" | ")[hide_column] == "yes"


def test_the_readme_shows_the_generated_table() -> None:
    from pathlib import Path

    from civicdesk.connectors.management.commands.capabilities import with_table

    readme = Path(__file__).resolve().parents[4] / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert with_table(text) == text, "run: ./run capabilities --update README.md"
