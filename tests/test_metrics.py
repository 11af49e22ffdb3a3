"""Metrics over the classes present in a split's truth; per-class F1 keeps every class."""

from __future__ import annotations

import numpy as np
import pytest

from har.metrics import classification_metrics


def test_macro_f1_is_over_the_classes_present_in_the_truth():
    y = np.array([0, 0, 1, 1, 1])  # class 2 is absent from this split
    probabilities = np.eye(3)[[0, 0, 1, 1, 0]]
    metrics = classification_metrics("val", y, probabilities, ["walk", "sit", "run"])
    f1_walk, f1_sit = 2 * 2 / (2 * 2 + 1), 2 * 2 / (2 * 2 + 1)
    assert metrics["val/macro_f1"] == pytest.approx((f1_walk + f1_sit) / 2)
    assert metrics["val/classes_scored"] == 2
    assert set(metrics) >= {"val/f1/walk", "val/f1/sit", "val/f1/run"} and metrics["val/f1/run"] == 0


def test_a_predicted_class_absent_from_the_truth_still_costs_precision():
    y = np.array([0, 0, 1, 1])
    probabilities = np.eye(3)[[0, 2, 1, 1]]  # one walk window called run
    metrics = classification_metrics("test", y, probabilities, ["walk", "sit", "run"])
    assert metrics["test/f1/walk"] == pytest.approx(2 / 3) and metrics["test/macro_f1"] == pytest.approx(
        5 / 6
    )
