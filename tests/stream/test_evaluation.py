"""Scores only where the truth supports them (`har.stream.evaluation`)."""

from __future__ import annotations

import numpy as np

from har.stream.evaluation import evaluate
from har.stream.events import Movement, segments_from_labels
from har.stream.sources import Stream


def _stream(labels: np.ndarray, *, count=None, truth=None) -> Stream:
    names = ["idle", "jab", "cross"]
    return Stream(
        name="s",
        t=np.arange(len(labels)) / 50,
        signals=np.zeros((len(labels), 6), np.float32),
        rate_hz=50.0,
        class_names=names,
        labels=labels,
        truth=truth if truth is not None else segments_from_labels(labels, names, 50.0, idle=()),
        count=count,
    )


def test_whole_session_labels_give_a_count_and_label_accuracy_and_refuse_event_f1_in_one_line():
    stream = _stream(np.full(1000, 1), count=10)  # 20 s labelled jab as a whole: 10 jabs somewhere
    events = [Movement("jab", 1.0 + i, 1.3 + i, 0.9, 1.5 + i) for i in range(9)] + [
        Movement("cross", 15, 15.3, 0.8, 15.5)
    ]
    scores = evaluate(events, stream, classes=["jab", "cross"], collar_s=0.15, min_iou=0.5)
    assert "event_f1" not in scores and "decision_delay_p95_ms" not in scores
    assert scores["count"] == {"true": 10, "found": 10, "error": 0, "within1": True}
    assert scores["label_accuracy"] == 0.9 and scores["session_label"] == "jab"
    reason = scores["not_reported"]
    assert "\n" not in reason and "cover the whole session (jab, 0.0-20.0 s)" in reason


def test_true_onsets_give_event_f1_and_a_count_from_the_events():
    labels = np.zeros(1000, dtype=int)
    labels[100:115] = 1
    labels[500:520] = 2
    stream = _stream(labels)
    events = [Movement("jab", 2.02, 2.3, 0.9, 2.5), Movement("cross", 10.0, 10.4, 0.9, 10.6)]
    scores = evaluate(events, stream, classes=["jab", "cross"], collar_s=0.15, min_iou=0.5)
    assert scores["event_f1"] == 1.0 and "not_reported" not in scores
    assert scores["count"]["true"] == 2 and scores["count"]["error"] == 0
