from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import modify_settings

from civicdesk.triage.evaluation import RESULT_KEYS, EvaluationError, evaluate_file


@pytest.fixture(autouse=True)
def triage_app_installed():
    """The management commands are found only while civicdesk.triage is an installed app."""
    if "civicdesk.triage" in settings.INSTALLED_APPS:
        yield
        return
    with modify_settings(INSTALLED_APPS={"append": "civicdesk.triage"}):
        yield


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "items.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_eval_reports_every_metric_for_a_binary_signal(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "text,label\nI will shoot up the school tomorrow,1\nthis test is killing me,0\nnice weather,0\n",
    )
    result = evaluate_file("threat", path, progress=lambda *_: None)
    assert tuple(result) == RESULT_KEYS
    assert result["n"] == 3
    assert result["recall"] == 1.0
    assert result["threshold"] is not None


def test_eval_leaves_binary_fields_empty_for_sentiment(tmp_path: Path) -> None:
    path = write(
        tmp_path, "text,label\nI love this park,positive\nThe bus is late again,negative\n"
    )
    result = evaluate_file("sentiment", path, progress=lambda *_: None)
    assert result["precision"] is None and result["roc_auc"] is None
    assert result["macro_recall"] is not None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("words,label\nhello,1\n", "header `text,label`"),
        ("text,label\nhello,maybe\n", "label 'maybe' is not valid for threat"),
        ("text,label\n", "no rows"),
    ],
)
def test_bad_files_give_a_clear_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        evaluate_file("threat", write(tmp_path, body))


def test_eval_command_prints_one_json_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "text,label\nyou are a moron,1\nthanks for the update,0\n")
    call_command("eval", "harassment", str(path))
    out = capsys.readouterr().out.strip()
    assert json.loads(out)["signal"] == "harassment"
    assert out.count("\n") == 0


def test_eval_command_fails_on_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="File not found"):
        call_command("eval", "threat", str(tmp_path / "missing.csv"))


def test_eval_command_rejects_an_unknown_signal(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Unknown signal 'rudeness'"):
        call_command("eval", "rudeness", str(write(tmp_path, "text,label\nx,1\n")))
