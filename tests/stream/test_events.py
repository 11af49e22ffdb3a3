"""Ring buffer vs offline windowing, the event detector, and the event matcher on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from har.data.windowing import window_starts
from har.stream.events import EventDetector, Movement, match_events, segments_from_labels
from har.stream.ring import RingBuffer


@pytest.mark.parametrize("chunks", [[1] * 300, [64] * 5, [7, 1, 100, 3, 50, 139], [300]])
def test_ring_buffer_gives_the_offline_windows(chunks):
    signals = np.random.default_rng(0).normal(size=(sum(chunks), 6)).astype(np.float32)
    ring = RingBuffer(window=50, hop=20, channels=6)
    streamed, position = [], 0
    for size in chunks:
        streamed += list(ring.push(signals[position : position + size]))
        position += size
    starts = window_starts(len(signals), 50, 20)
    assert [s for s, _ in streamed] == starts.tolist()
    for start, window in streamed:
        np.testing.assert_array_equal(window, signals[start : start + 50])


def test_ring_buffer_reset_restarts_windows():
    ring = RingBuffer(window=4, hop=2, channels=1)
    assert [s for s, _ in ring.push(np.arange(5))] == [0]
    ring.reset()
    assert [s for s, _ in ring.push(np.arange(3))] == []
    assert [s for s, _ in ring.push(np.arange(3))] == [0, 2]


def _feed(detector, labels, hop=0.5):
    out = []
    for index, label in enumerate(labels):
        out += detector.update(index * hop + 0.25, label, 0.9)
    return out + detector.flush()


def test_detector_joins_consecutive_windows_and_drops_short_runs():
    names = ["idle", "jab", "hook"]
    events = _feed(EventDetector(names, hop_s=0.5), ["idle", "jab", "jab", "idle", "hook", "idle"])
    assert [(e.label, e.t_start, e.t_end) for e in events] == [("jab", 0.5, 1.5), ("hook", 2.0, 2.5)]
    short = _feed(
        EventDetector(names, hop_s=0.5, min_duration_s=0.8), ["idle", "jab", "jab", "idle", "hook", "idle"]
    )
    assert [e.label for e in short] == ["jab"]


def test_refractory_merges_a_same_class_flicker():
    names = ["idle", "jab"]
    events = _feed(
        EventDetector(names, hop_s=0.5, refractory_s=0.6),
        ["jab", "jab", "idle", "jab", "idle", "idle", "idle", "jab"],
    )
    assert [(e.t_start, e.t_end) for e in events] == [(0.0, 2.0), (3.5, 4.0)]


def test_without_an_idle_class_every_class_is_a_segment():
    events = _feed(EventDetector(["WALKING", "SITTING"], hop_s=1.0), ["WALKING", "WALKING", "SITTING"])
    assert [e.label for e in events] == ["WALKING", "SITTING"]


def _m(label, start, end):
    return Movement(label, start, end, 0.9)


def test_matcher_hits_misses_and_false_alarms():
    truth = [("jab", 1.0, 1.4), ("hook", 3.0, 3.5), ("cross", 5.0, 5.4)]
    predicted = [_m("jab", 1.05, 1.45), _m("hook", 3.3, 3.9), _m("uppercut", 7.0, 7.3)]
    score = match_events(predicted, truth, min_iou=0.5)
    # jab IoU 0.35/0.45 = 0.78 hit; hook IoU 0.2/0.9 = 0.22 miss; uppercut false alarm; cross missed
    assert (score.true_positives, score.false_positives, score.false_negatives) == (1, 2, 2)
    assert score.precision == pytest.approx(1 / 3) and score.recall == pytest.approx(1 / 3)
    assert score.count_error == {"cross": -1, "hook": 0, "jab": 0, "uppercut": 1}


def test_matcher_boundaries():
    truth = [("jab", 0.0, 1.0)]
    assert match_events([_m("jab", 0.5, 1.0)], truth, min_iou=0.5).true_positives == 1  # IoU exactly 0.5
    assert match_events([_m("jab", 0.51, 1.0)], truth, min_iou=0.5).true_positives == 0
    assert match_events([_m("hook", 0.0, 1.0)], truth).true_positives == 0  # wrong label never matches
    both = match_events([_m("jab", 0.0, 1.0), _m("jab", 0.0, 0.9)], truth)
    assert (both.true_positives, both.false_positives) == (1, 1)  # one truth, matched once
    assert match_events([], []).f1 == 1.0  # nothing to find, nothing found
    assert match_events([], truth).recall == 0.0


def test_segments_from_labels():
    labels = np.array([0, 0, 1, 1, 1, -1, 2, 2])
    assert segments_from_labels(labels, ["idle", "a", "b"], rate_hz=2.0) == [("a", 1.0, 2.5), ("b", 3.0, 4.0)]
