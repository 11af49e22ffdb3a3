"""What the tracker emits: one `Movement` per movement or segment, and ground truth in the same terms."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Movement:
    """One event: a movement (a strike, a transition) or a segment of a sustained activity.

    Attributes:
        label: the class.
        onset: stream time (s) the movement starts.
        end: stream time (s) it ends.
        confidence: the model's probability for `label` (mean over the windows of a segment).
        decided: stream time (s) of the newest sample seen when the event was emitted; the
            decision delay is `decided - true end`.
    """

    label: str
    onset: float
    end: float
    confidence: float
    decided: float

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def event_classes(class_names: list[str], idle: Collection[str] | None) -> list[str]:
    """The classes that make events: every class not listed in `idle` (names absent are ignored)."""
    idle = set(idle or ())
    return [name for name in class_names if name not in idle]


def segments_from_labels(
    labels: np.ndarray, class_names: list[str], rate_hz: float, idle: Collection[str] | None = ("idle",)
) -> list[tuple[str, float, float]]:
    """Runs of one labelled class not in `idle` as (label, start_s, end_s): ground truth where a
    source has per-sample labels but no events (hapt activities and transitions)."""
    idle = set(idle or ())
    out = []
    start = 0
    for index in range(1, len(labels) + 1):
        if index == len(labels) or labels[index] != labels[start]:
            label = int(labels[start])
            if label >= 0 and class_names[label] not in idle:
                out.append((class_names[label], start / rate_hz, index / rate_hz))
            start = index
    return out
