"""The train command: where the data is, and staff corrections reaching training."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from civicdesk.testing.fixtures import Agency


def test_train_with_feedback_adds_the_corrections_staff_made(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    agency: Agency,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The stored corrections reach training; training itself is checked by reproducing the artifacts."""
    from django.db import transaction

    from civicdesk.archive.ingest import store_records
    from civicdesk.testing.factories import record
    from civicdesk.training import heads
    from civicdesk.triage import feedback

    with transaction.atomic():
        report = store_records(
            account=agency.district_account, records=[record("c1", "shoot me a DM")], source="poll"
        )
    feedback.correct_signal(
        item=report.created_items[0], signal="threat", label="0", by=agency.district_admin
    )
    calls = []

    def train(data: Path, **kw: object) -> dict[str, dict[str, int]]:
        calls.append(kw)
        return {"threat": {"ok": 1}}

    monkeypatch.setattr(heads, "train", train)
    call_command("train", "--signal", "threat", "--with-feedback", "--data", str(tmp_path))
    assert calls[0]["feedback"] == [("shoot me a DM", "threat", "0")]
    assert calls[0]["signal"] == "threat"
    assert "Adding 1 corrections made by staff." in capsys.readouterr().err


def test_train_without_the_training_data_says_where_to_point_it(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Pass --data DIR or set CIVICDESK_TRAINING_DATA"):
        call_command("train", "--data", str(tmp_path / "missing"))
