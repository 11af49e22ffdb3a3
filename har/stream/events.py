"""From per-window classes to movements, and scoring movements against ground truth."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Movement:
    label: str
    t_start: float
    t_end: float
    confidence: float

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


class EventDetector:
    """Consecutive windows of one non-idle class become one movement.

    Each window speaks for the hop-long span around its centre, so back-to-back windows tile
    time. A run shorter than `min_duration_s` is dropped; a movement of the same class that
    starts within `refractory_s` of the previous one's end is merged into it.
    """

    def __init__(
        self,
        class_names: list[str],
        *,
        idle: str | None = "idle",
        min_duration_s: float = 0.0,
        refractory_s: float = 0.0,
        hop_s: float,
    ) -> None:
        if idle is not None and idle not in class_names:
            idle = None  # datasets without an idle class: every class is a movement (segments)
        self.class_names, self.idle, self.hop_s = class_names, idle, hop_s
        self.min_duration_s, self.refractory_s = min_duration_s, refractory_s
        self.reset()

    def reset(self) -> None:
        self.current: tuple[str, float, float, list[float]] | None = None
        self.pending: Movement | None = None

    def update(self, centre_s: float, label: str, confidence: float) -> list[Movement]:
        """Feed one window; return the movements that are final now."""
        start, end = centre_s - self.hop_s / 2, centre_s + self.hop_s / 2
        finished = []
        if self.current is not None and (label != self.current[0] or start > self.current[2] + 1e-9):
            finished += self._close_run()
        if label != self.idle:
            if self.current is None:
                self.current = (label, start, end, [confidence])
            else:
                self.current = (label, self.current[1], end, [*self.current[3], confidence])
        if self.pending is not None:
            pending = self.pending
            continues = (
                self.current is not None
                and self.current[0] == pending.label
                and self.current[1] - pending.t_end <= self.refractory_s
            )
            if not continues and start - pending.t_end > self.refractory_s:
                finished.append(pending)
                self.pending = None
        return finished

    def _close_run(self) -> list[Movement]:
        label, start, end, confidences = self.current
        self.current = None
        if end - start < self.min_duration_s - 1e-9:
            return []
        movement = Movement(label, start, end, float(np.mean(confidences)))
        if (
            self.pending is not None
            and self.pending.label == label
            and start - self.pending.t_end <= self.refractory_s
        ):
            merged = self.pending
            self.pending = Movement(label, merged.t_start, end, (merged.confidence + movement.confidence) / 2)
            return []
        out = [self.pending] if self.pending is not None else []
        self.pending = movement
        return out

    def flush(self) -> list[Movement]:
        """End of stream (or a gap): close whatever is open."""
        finished = self._close_run() if self.current is not None else []
        if self.pending is not None:
            finished.append(self.pending)
            self.pending = None
        return finished


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    overlap = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return overlap / union if union > 0 else 0.0


@dataclass
class EventScore:
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float
    count_error: dict[str, int]  # detected - true, per class

    def to_dict(self) -> dict:
        return asdict(self)


def match_events(
    predicted: list[Movement], truth: list[tuple[str, float, float]], *, min_iou: float = 0.5
) -> EventScore:
    """Greedy one-to-one matching by IoU: a hit is the same label overlapping by >= `min_iou`."""
    candidates = sorted(
        (
            (iou((p.t_start, p.t_end), (t[1], t[2])), i, j)
            for i, p in enumerate(predicted)
            for j, t in enumerate(truth)
            if p.label == t[0]
        ),
        reverse=True,
    )
    used_predicted, used_truth = set(), set()
    for overlap, i, j in candidates:
        if overlap < min_iou:
            break
        if i in used_predicted or j in used_truth:
            continue
        used_predicted.add(i)
        used_truth.add(j)
    hits = len(used_predicted)
    precision = hits / len(predicted) if predicted else (1.0 if not truth else 0.0)
    recall = hits / len(truth) if truth else (1.0 if not predicted else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    detected, expected = Counter(p.label for p in predicted), Counter(t[0] for t in truth)
    return EventScore(
        hits,
        len(predicted) - hits,
        len(truth) - hits,
        precision,
        recall,
        f1,
        {label: detected[label] - expected[label] for label in sorted(set(detected) | set(expected))},
    )


def segments_from_labels(
    labels: np.ndarray, class_names: list[str], rate_hz: float, idle: str | None = "idle"
) -> list[tuple[str, float, float]]:
    """Runs of one labelled, non-idle class as (label, start_s, end_s): ground truth where a
    source has per-sample labels but no events (hapt segments)."""
    out = []
    start = 0
    for index in range(1, len(labels) + 1):
        if index == len(labels) or labels[index] != labels[start]:
            label = int(labels[start])
            if label >= 0 and class_names[label] != idle:
                out.append((class_names[label], start / rate_hz, index / rate_hz))
            start = index
    return out
