"""Scoring events against ground truth: one-to-one matching, same label only.

- event F1: a detection matches a true event of the same label whose onset is within
  `collar_s` (closest onsets first); what a coach counts.
- segment F1: a detection matches a true event of the same label overlapping it with
  IoU >= `min_iou` (largest overlaps first); what an activity timeline needs.
- count error per class: detected - true; pooled as sum |detected - true| / sum true.
- onset error: |detected onset - true onset| of the event-F1 matches, in ms.
- decision delay: when the event was emitted (`Movement.decided`) minus the true end, for the
  event-F1 matches, in ms; what a user waits after finishing a movement. It is not the
  per-window compute latency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from har.stream.events import Movement

Truth = tuple[str, float, float]  # (label, onset_s, end_s)


@dataclass
class Matching:
    """Counts of one one-to-one matching."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else (1.0 if not self.false_negatives else 0.0)

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else (1.0 if not self.false_positives else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Matching) -> Matching:
        return Matching(
            self.true_positives + other.true_positives,
            self.false_positives + other.false_positives,
            self.false_negatives + other.false_negatives,
        )

    def to_dict(self) -> dict:
        return {
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    overlap = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return overlap / union if union > 0 else 0.0


def _greedy(candidates: list[tuple[float, int, int]], n_predicted: int, n_truth: int):
    """Pairs (predicted, truth) taken best-first from (cost, i, j), each index at most once."""
    used_predicted, used_truth, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_predicted and j not in used_truth:
            used_predicted.add(i)
            used_truth.add(j)
            pairs.append((i, j))
    return pairs, Matching(len(pairs), n_predicted - len(pairs), n_truth - len(pairs))


def match_onsets(
    predicted: list[Movement], truth: list[Truth], *, collar_s: float
) -> tuple[list[tuple[int, int]], Matching]:
    """Same label and |onset difference| <= `collar_s`, closest first."""
    candidates = [
        (abs(p.onset - t[1]), i, j)
        for i, p in enumerate(predicted)
        for j, t in enumerate(truth)
        if p.label == t[0] and abs(p.onset - t[1]) <= collar_s + 1e-9
    ]
    return _greedy(candidates, len(predicted), len(truth))


def match_segments(
    predicted: list[Movement], truth: list[Truth], *, min_iou: float = 0.5
) -> tuple[list[tuple[int, int]], Matching]:
    """Same label and IoU >= `min_iou`, largest overlap first."""
    candidates = []
    for i, p in enumerate(predicted):
        for j, t in enumerate(truth):
            if p.label == t[0]:
                overlap = iou((p.onset, p.end), (t[1], t[2]))
                if overlap >= min_iou - 1e-9:
                    candidates.append((-overlap, i, j))
    return _greedy(candidates, len(predicted), len(truth))


@dataclass
class StreamScore:
    """Every metric of one stream (or of several, pooled with `pool`)."""

    events: Matching = field(default_factory=Matching)
    segments: Matching = field(default_factory=Matching)
    onset_errors_ms: list[float] = field(default_factory=list)
    decision_delays_ms: list[float] = field(default_factory=list)
    detected: Counter = field(default_factory=Counter)
    expected: Counter = field(default_factory=Counter)

    @property
    def count_error(self) -> dict[str, int]:
        """Detected - true, per class."""
        labels = sorted(set(self.detected) | set(self.expected))
        return {label: self.detected[label] - self.expected[label] for label in labels}

    @property
    def relative_count_error(self) -> float:
        """sum over classes |detected - true| / sum true."""
        total = sum(self.expected.values())
        return sum(abs(v) for v in self.count_error.values()) / total if total else float("nan")

    def to_dict(self) -> dict:
        def percentile(values: list[float], q: float) -> float | None:
            return float(np.percentile(values, q)) if values else None

        return {
            "event": self.events.to_dict(),
            "segment": self.segments.to_dict(),
            "event_f1": self.events.f1,
            "segment_f1": self.segments.f1,
            "onset_mae_ms": float(np.mean(np.abs(self.onset_errors_ms))) if self.onset_errors_ms else None,
            "count_error": self.count_error,
            "relative_count_error": self.relative_count_error,
            "decision_delay_p50_ms": percentile(self.decision_delays_ms, 50),
            "decision_delay_p95_ms": percentile(self.decision_delays_ms, 95),
        }


def score(
    predicted: list[Movement],
    truth: list[Truth],
    *,
    classes: Iterable[str],
    collar_s: float,
    min_iou: float = 0.5,
) -> StreamScore:
    """Score the events of `classes` (the rest of both sides is left out)."""
    classes = set(classes)
    predicted = [p for p in predicted if p.label in classes]
    truth = [t for t in truth if t[0] in classes]
    pairs, events = match_onsets(predicted, truth, collar_s=collar_s)
    _, segments = match_segments(predicted, truth, min_iou=min_iou)
    return StreamScore(
        events,
        segments,
        [(predicted[i].onset - truth[j][1]) * 1000 for i, j in pairs],
        [(predicted[i].decided - truth[j][2]) * 1000 for i, j in pairs],
        Counter(p.label for p in predicted),
        Counter(t[0] for t in truth),
    )


def pool(scores: Iterable[StreamScore]) -> StreamScore:
    """Events pooled over streams: counts summed, errors and delays concatenated."""
    total = StreamScore()
    for one in scores:
        total.events += one.events
        total.segments += one.segments
        total.onset_errors_ms += one.onset_errors_ms
        total.decision_delays_ms += one.decision_delays_ms
        total.detected += one.detected
        total.expected += one.expected
    return total
