from __future__ import annotations

from civicdesk.triage.metrics import binary_metrics, multiclass_metrics, roc_auc


def test_roc_auc_counts_ties_as_half() -> None:
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc([1, 1], [0.2, 0.3]) is None


def test_binary_metrics_at_threshold() -> None:
    m = binary_metrics([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], 0.5)
    assert (m["precision"], m["recall"], m["macro_recall"]) == (0.5, 0.5, 0.5)


def test_multiclass_metrics_leave_binary_fields_empty() -> None:
    m = multiclass_metrics(["a", "b"], ["a", "a"], ["a", "b"])
    assert m["macro_recall"] == 0.5
    assert m["precision"] is None and m["threshold"] is None
