"""Ring buffer vs offline windowing, segment building, and the metrics on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from har.data.windowing import window_starts
from har.stream.events import Movement, event_classes, segments_from_labels
from har.stream.metrics import match_onsets, match_segments, pool, score
from har.stream.ring import RingBuffer
from har.stream.tracker import LatencyHistogram
from har.stream.windows import SegmentBuilder


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


def _feed(builder, labels, hop=0.5):
    out = []
    for index, label in enumerate(labels):
        out += builder.update(index * hop + 0.25, label, 0.9, now=index * hop + 1.0)
    return out + builder.flush(now=len(labels) * hop + 1.0)


def test_segments_join_consecutive_windows_and_drop_short_runs():
    events = _feed(SegmentBuilder({"jab", "hook"}, hop_s=0.5), ["idle", "jab", "jab", "idle", "hook", "idle"])
    assert [(e.label, e.onset, e.end) for e in events] == [("jab", 0.5, 1.5), ("hook", 2.0, 2.5)]
    assert events[0].decided == 3.0  # final once the next window (idle, at 1.5-2.0) closed it
    short = _feed(
        SegmentBuilder({"jab", "hook"}, hop_s=0.5, min_duration_s=0.8),
        ["idle", "jab", "jab", "idle", "hook", "idle"],
    )
    assert [e.label for e in short] == ["jab"]


def test_refractory_merges_a_same_class_flicker():
    events = _feed(
        SegmentBuilder({"jab"}, hop_s=0.5, refractory_s=0.6),
        ["jab", "jab", "idle", "jab", "idle", "idle", "idle", "jab"],
    )
    assert [(e.onset, e.end) for e in events] == [(0.0, 2.0), (3.5, 4.0)]


def test_event_classes_and_segments_from_labels():
    assert event_classes(["idle", "jab"], ["idle"]) == ["jab"]
    assert event_classes(["WALKING", "SITTING"], []) == ["WALKING", "SITTING"]
    labels = np.array([0, 0, 1, 1, 1, -1, 2, 2])
    assert segments_from_labels(labels, ["idle", "a", "b"], rate_hz=2.0) == [("a", 1.0, 2.5), ("b", 3.0, 4.0)]
    assert segments_from_labels(labels, ["idle", "a", "b"], rate_hz=2.0, idle=())[0] == ("idle", 0.0, 1.0)


def _m(label, onset, end, decided=None):
    return Movement(label, onset, end, 0.9, end if decided is None else decided)


def test_onset_matching_with_a_collar():
    truth = [("jab", 1.0, 1.4), ("hook", 3.0, 3.5), ("cross", 5.0, 5.4)]
    predicted = [_m("jab", 1.1, 1.5), _m("hook", 3.2, 3.6), _m("uppercut", 7.0, 7.3), _m("cross", 4.0, 5.4)]
    pairs, matching = match_onsets(predicted, truth, collar_s=0.15)
    assert pairs == [(0, 0)]  # hook 200 ms late, cross 1 s early: outside a 150 ms collar
    assert (matching.true_positives, matching.false_positives, matching.false_negatives) == (1, 3, 2)
    _, wide = match_onsets(predicted, truth, collar_s=1.0)
    assert wide.true_positives == 3 and wide.false_positives == 1
    wrong_label = match_onsets([_m("hook", 1.0, 1.4)], truth, collar_s=0.5)[1]
    assert wrong_label.true_positives == 0


def test_onset_matching_is_one_to_one_closest_first():
    truth = [("jab", 1.0, 1.3), ("jab", 1.5, 1.8)]
    predicted = [_m("jab", 1.45, 1.8), _m("jab", 1.02, 1.3), _m("jab", 1.1, 1.3)]
    pairs, matching = match_onsets(predicted, truth, collar_s=0.5)
    assert sorted(pairs) == [(0, 1), (1, 0)] and matching.false_positives == 1


def test_segment_matching_boundaries():
    truth = [("jab", 0.0, 1.0)]
    assert match_segments([_m("jab", 0.5, 1.0)], truth, min_iou=0.5)[1].true_positives == 1  # IoU exactly 0.5
    assert match_segments([_m("jab", 0.51, 1.0)], truth, min_iou=0.5)[1].true_positives == 0
    both = match_segments([_m("jab", 0.0, 1.0), _m("jab", 0.0, 0.9)], truth)[1]
    assert (both.true_positives, both.false_positives) == (1, 1)


def test_score_counts_delays_and_onset_errors():
    truth = [("jab", 1.0, 1.4), ("hook", 3.0, 3.5), ("idle", 0.0, 1.0)]
    predicted = [_m("jab", 1.1, 1.5, decided=1.6), _m("hook", 3.05, 3.5, decided=3.7), _m("hook", 6.0, 6.3)]
    result = score(predicted, truth, classes=["jab", "hook"], collar_s=0.15)
    assert result.events.f1 == pytest.approx(0.8)  # 2 hits, 1 false alarm, idle not scored
    assert sorted(result.onset_errors_ms) == pytest.approx([50.0, 100.0])
    assert sorted(result.decision_delays_ms) == pytest.approx([200.0, 200.0])
    assert result.count_error == {"hook": 1, "jab": 0}
    assert result.relative_count_error == pytest.approx(0.5)
    summary = result.to_dict()
    assert summary["onset_mae_ms"] == pytest.approx(75.0)
    assert summary["decision_delay_p95_ms"] == pytest.approx(200.0)
    pooled = pool([result, result])
    assert pooled.events.true_positives == 4 and pooled.count_error == {"hook": 2, "jab": 0}
    assert pooled.events.f1 == pytest.approx(result.events.f1)


def test_empty_cases():
    nothing = score([], [], classes=["jab"], collar_s=0.1)
    assert nothing.events.f1 == 1.0 and nothing.to_dict()["onset_mae_ms"] is None
    assert score([], [("jab", 0.0, 1.0)], classes=["jab"], collar_s=0.1).events.recall == 0.0


def test_latency_histogram_percentiles_within_one_percent():
    values = np.random.default_rng(0).lognormal(mean=-1.5, sigma=0.5, size=5000)
    histogram = LatencyHistogram()
    for value in values:
        histogram.add(float(value))
    for q in (50, 95):
        assert histogram.percentile(q) == pytest.approx(np.percentile(values, q), rel=0.02)
    assert LatencyHistogram().percentile(50) == 0.0
