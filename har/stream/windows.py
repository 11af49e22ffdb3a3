"""The model every hop: a ring buffer hands the bundle's `Predictor` the offline windows, then smoothing.

`WindowDecoder` is the base of the decoders that read window posteriors (`runs`, `viterbi`);
`SegmentBuilder` turns a sequence of decided window labels into events.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import numpy as np

from har.export import Predictor
from har.stream.events import Movement, event_classes
from har.stream.ring import RingBuffer


@dataclass(frozen=True)
class WindowStep:
    """One model call: the window's first sample time, its centre, the (smoothed) decision."""

    onset: float
    centre: float
    label: str
    confidence: float
    latency_ms: float


class WindowClassifier:
    """Ring buffer -> `Predictor.predict_window` -> smoothing, every hop of a contiguous stream."""

    def __init__(self, predictor: Predictor, smoothing) -> None:
        self.predictor, self.smoothing = predictor, smoothing
        self.ring = RingBuffer(predictor.window, predictor.hop, len(predictor.channels))
        self.times = np.zeros(0)  # timestamps of the samples the ring still holds

    def reset(self) -> None:
        self.ring.reset()
        self.smoothing.reset()
        self.times = self.times[:0]

    def push(self, t: np.ndarray, x: np.ndarray) -> Iterator[tuple[float, np.ndarray, float]]:
        """Yield (window onset s, probabilities (K,), latency ms) of every window `x` completes."""
        offset = self.ring.count - len(self.times)  # sample index of times[0]
        times = np.concatenate([self.times, t])
        for start, samples in self.ring.push(x):
            call = time.perf_counter()
            probabilities = self.smoothing(self.predictor.predict_window(samples))
            yield times[start - offset], probabilities, (time.perf_counter() - call) * 1000
        window = self.predictor.window
        self.times = times[-(window - 1) :] if window > 1 else times[:0]


class SegmentBuilder:
    """Consecutive windows of one event class become one event.

    Each window speaks for the hop-long span around its centre, so back-to-back windows tile
    time. A run shorter than `min_duration_s` is dropped (the dwell rule); an event of the same
    class that starts within `refractory_s` of the previous one's end is merged into it.
    """

    def __init__(
        self,
        classes: Collection[str],
        *,
        hop_s: float,
        min_duration_s: float = 0.0,
        refractory_s: float = 0.0,
    ) -> None:
        self.classes, self.hop_s = set(classes), hop_s
        self.min_duration_s, self.refractory_s = min_duration_s, refractory_s
        self.reset()

    def reset(self) -> None:
        self.current: tuple[str, float, float, list[float]] | None = None
        self.pending: Movement | None = None

    def update(self, centre_s: float, label: str, confidence: float, now: float) -> list[Movement]:
        """Feed one decided window (decided at stream time `now`); return the events final now."""
        start, end = centre_s - self.hop_s / 2, centre_s + self.hop_s / 2
        finished = []
        if self.current is not None and (label != self.current[0] or start > self.current[2] + 1e-9):
            finished += self._close_run(now)
        if label in self.classes:
            if self.current is None:
                self.current = (label, start, end, [confidence])
            else:
                self.current = (label, self.current[1], end, [*self.current[3], confidence])
        if self.pending is not None:
            pending = self.pending
            continues = (
                self.current is not None
                and self.current[0] == pending.label
                and self.current[1] - pending.end <= self.refractory_s
            )
            if not continues and start - pending.end > self.refractory_s:
                finished.append(_decided(pending, now))
                self.pending = None
        return finished

    def _close_run(self, now: float) -> list[Movement]:
        label, start, end, confidences = self.current
        self.current = None
        if end - start < self.min_duration_s - 1e-9:
            return []
        movement = Movement(label, start, end, float(np.mean(confidences)), now)
        if (
            self.pending is not None
            and self.pending.label == label
            and start - self.pending.end <= self.refractory_s
        ):
            merged = self.pending
            confidence = (merged.confidence + movement.confidence) / 2
            self.pending = Movement(label, merged.onset, end, confidence, now)
            return []
        out = [_decided(self.pending, now)] if self.pending is not None else []
        self.pending = movement
        return out

    def flush(self, now: float) -> list[Movement]:
        """End of stream (or an interruption): close whatever is open."""
        finished = self._close_run(now) if self.current is not None else []
        if self.pending is not None:
            finished.append(_decided(self.pending, now))
            self.pending = None
        return finished


def _decided(movement: Movement, now: float) -> Movement:
    return Movement(movement.label, movement.onset, movement.end, movement.confidence, now)


class WindowDecoder:
    """Base of the decoders over window posteriors: subclasses implement `decide` and `finish`."""

    def __init__(
        self,
        predictor: Predictor,
        smoothing,
        *,
        idle: Collection[str] | None,
        min_duration_s: float = 0.0,
        refractory_s: float = 0.0,
    ) -> None:
        self.class_names = predictor.class_names
        self.hop_s = predictor.hop / predictor.rate_hz
        self.window_s = predictor.window / predictor.rate_hz
        self.windows = WindowClassifier(predictor, smoothing)
        self.segments = SegmentBuilder(
            event_classes(self.class_names, idle),
            hop_s=self.hop_s,
            min_duration_s=min_duration_s,
            refractory_s=refractory_s,
        )
        self.now = 0.0
        self.steps: list[WindowStep] = []  # model calls since the tracker last took them

    def push(self, t: np.ndarray, x: np.ndarray) -> list[Movement]:
        """Samples of one contiguous piece of stream in; the events that are final out.

        Events are stamped `decided` with the newest sample of the piece: what was seen when
        they came out (so the chunk size of the stream counts in the decision delay).
        """
        if not len(t):
            return []
        self.now = float(t[-1])
        out = []
        for onset, probabilities, latency_ms in self.windows.push(t, x):
            index = int(probabilities.argmax())
            centre = onset + self.window_s / 2
            self.steps.append(
                WindowStep(onset, centre, self.class_names[index], float(probabilities[index]), latency_ms)
            )
            out += self.decide(centre, probabilities, self.now)
        return out

    def interrupt(self) -> list[Movement]:
        """A gap or the end of the stream: decide what is left, close every open event, forget."""
        out = self.finish(self.now)
        out += self.segments.flush(self.now)
        self.windows.reset()
        return out

    def decide(self, centre: float, probabilities: np.ndarray, now: float) -> list[Movement]:
        raise NotImplementedError

    def finish(self, now: float) -> list[Movement]:
        return []
