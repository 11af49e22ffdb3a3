"""`decoder=movements` (default): one event per movement, found by the bundle's fitted detector.

The detector (`har.data.movements`) was fitted with the model's training windows, on the
non-test subjects, and travels in the bundle's manifest: the tracker finds movements exactly as
training cut its windows, and classifies the same window (`window_end`). Nothing is hand-set;
`detector` overrides a fitted setting for an experiment (`decoder.detector.min_gap_s=0.5`).

Nothing is dropped without a word: every movement the detector turns down, and every one the
model calls idle, is counted by reason in `rejected` (the summary prints it).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection
from dataclasses import replace

import numpy as np

from har.config import ConfigError
from har.data import DetectorSettings, Found, MovementFinder
from har.export import Predictor
from har.stream.events import Movement, event_classes
from har.stream.thresholds import History
from har.stream.windows import WindowStep

REJECTED_IDLE = "called idle by the model"
REJECTED_GONE = "its window was not whole (a gap or the start of the stream)"


def bundle_detector(predictor: Predictor, overrides: dict | None = None) -> DetectorSettings:
    """The bundle's fitted detector with `overrides`; a clear error for a bundle without one."""
    fitted = predictor.manifest.get("detector")
    if fitted is None:
        raise ConfigError(
            f"{predictor.folder}: this bundle has no fitted movement detector (its model was "
            "trained on sliding windows); train with data.windows.kind=movements, or track with "
            "decoder=thresholds (hand-set) or decoder=viterbi (segments)"
        )
    unknown = sorted(set(overrides or {}) - set(DetectorSettings().to_dict()))
    if unknown:
        raise ConfigError(f"decoder.detector: unknown key(s) {', '.join(unknown)}")
    values = {**fitted, **(overrides or {})}
    if overrides:
        values["fitted"] = {**fitted.get("fitted", {}), "overridden": sorted(overrides)}
    return DetectorSettings.from_dict(values, f"{predictor.folder} manifest detector")


class MovementDecoder:
    """Args:
    predictor: the bundle's model (its manifest holds the detector).
    smoothing: accepted like every decoder's, not used (one window per movement).
    idle: classes that are not movements.
    detector: overrides of the fitted settings (`har.data.movements.DetectorSettings` keys).
    min_movement_probability: least total probability of the movement classes to keep an event.
    """

    def __init__(
        self,
        predictor: Predictor,
        smoothing=None,
        *,
        idle: Collection[str] | None = ("idle",),
        detector: dict | None = None,
        min_movement_probability: float = 0.5,
    ) -> None:
        self.predictor, self.window, self.rate_hz = predictor, predictor.window, predictor.rate_hz
        self.settings = bundle_detector(predictor, dict(detector or {}))
        self.finder = MovementFinder(
            self.settings, predictor.channels, predictor.manifest["units"], self.rate_hz, self.window
        )
        self.min_movement_probability = min_movement_probability
        self.movement_index = np.array(
            [predictor.class_names.index(c) for c in event_classes(predictor.class_names, idle)]
        )
        self.history = History(self.finder.history_size, len(predictor.channels))
        self.rejected: Counter = Counter()
        self.steps: list[WindowStep] = []
        self.pending: list[Found] = []

    def push(self, t: np.ndarray, x: np.ndarray) -> list[Movement]:
        """Samples of one contiguous piece of stream in; the movements decided out."""
        out = []
        for lo in range(0, len(t), self.window):  # the history holds more: nothing overwritten unread
            piece_t, piece_x = t[lo : lo + self.window], x[lo : lo + self.window]
            self.history.append(piece_t, piece_x, np.zeros(len(piece_t)))
            self.pending += self.finder.push(piece_x)
            out += self._classify_ready(self.history.count)
        return out

    def interrupt(self) -> list[Movement]:
        """A gap or the end of the stream: the open movement and every pending one are
        classified on the newest samples there are; then the past is forgotten."""
        count = self.history.count
        self.pending += self.finder.finish()
        self.pending = [replace(f, window_end=min(f.window_end, count)) for f in self.pending]
        out = self._classify_ready(count)
        self.history.count = 0
        return out

    def _classify_ready(self, available: int) -> list[Movement]:
        ready = [f for f in self.pending if f.window_end <= available]
        self.pending = [f for f in self.pending if f.window_end > available]
        return [m for f in ready if (m := self._classify(f)) is not None]

    def _classify(self, found: Found) -> Movement | None:
        if found.window_end - self.window < self.history.oldest or found.window_end < self.window:
            self.rejected[REJECTED_GONE] += 1
            return None
        call = time.perf_counter()
        probabilities = self.predictor.predict_window(self.history.window(found.window_end, self.window))
        latency_ms = (time.perf_counter() - call) * 1000
        movement = probabilities[self.movement_index]
        best = int(self.movement_index[movement.argmax()])
        label = self.predictor.class_names[best]
        window_onset = self.history.time(found.window_end - self.window)
        self.steps.append(
            WindowStep(
                window_onset,
                window_onset + self.window / (2 * self.rate_hz),
                label,
                float(probabilities[best]),
                latency_ms,
            )
        )
        if movement.sum() < self.min_movement_probability:
            self.rejected[REJECTED_IDLE] += 1
            return None
        # decided when the last sample it needed arrived (its window's end, or the confirmation):
        # in stream time, so any chunking of the stream gives the same events
        decided = self.history.time(max(found.window_end, found.end + 1) - 1)
        return Movement(
            label,
            self.history.time(found.onset),
            self.history.time(found.end),
            float(probabilities[best] / movement.sum()),
            decided,
        )

    def counts_rejected(self) -> dict[str, int]:
        """Every movement turned down so far, by reason (the detector's and the model's)."""
        return dict(sorted((self.rejected + self.finder.rejected).items()))
