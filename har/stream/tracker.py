"""The tracker: replay a stream in chunks, run the bundle's model every hop, emit movements.

Documented handling of bad stream data (never a silent wrong result):

- a gap (the next timestamp more than `max_gap_s` after the previous one) or a run of
  non-finite samples (NaN/inf, e.g. a sensor dropout) interrupts the stream: the ring
  buffer, the smoothing and any open movement are reset/closed, so no window ever spans
  the interruption; windows restart after it. Interruptions and the samples dropped are
  counted in the summary.
- timestamps that go back are rejected when the stream is read.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import f1_score

from har.export.inference import Predictor
from har.stream.events import EventDetector, EventScore, Movement, match_events
from har.stream.ring import RingBuffer
from har.stream.sources import Stream


@dataclass
class WindowStep:
    t_start: float
    t_centre: float
    label: str
    confidence: float
    true_label: str | None


@dataclass
class TrackResult:
    events: list[Movement]
    steps: list[WindowStep]
    latencies_ms: list[float]
    processing_s: float
    duration_s: float
    interruptions: int = 0
    dropped_samples: int = 0
    score: EventScore | None = None
    window_macro_f1: float | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict:
        latencies = np.asarray(self.latencies_ms) if self.latencies_ms else np.zeros(1)
        return {
            "windows": len(self.steps),
            "events": len(self.events),
            "counts": self.counts,
            "latency_p50_ms": float(np.percentile(latencies, 50)),
            "latency_p95_ms": float(np.percentile(latencies, 95)),
            "real_time_factor": self.duration_s / self.processing_s if self.processing_s else float("inf"),
            "stream_s": self.duration_s,
            "processing_s": self.processing_s,
            "interruptions": self.interruptions,
            "dropped_samples": self.dropped_samples,
            "event_score": self.score.to_dict() if self.score else None,
            "window_macro_f1": self.window_macro_f1,
        }


class Tracker:
    """One bundle's model on one stream. Build a new one (or call `reset`) per stream."""

    def __init__(
        self,
        predictor: Predictor,
        *,
        smoothing,
        idle: str | None = "idle",
        min_duration_s: float = 0.0,
        refractory_s: float = 0.0,
        max_gap_s: float = 0.1,
    ) -> None:
        self.predictor = predictor
        self.smoothing = smoothing
        self.max_gap_s = max_gap_s
        self.detector = EventDetector(
            predictor.class_names,
            idle=idle,
            min_duration_s=min_duration_s,
            refractory_s=refractory_s,
            hop_s=predictor.hop / predictor.rate_hz,
        )
        self.ring = RingBuffer(predictor.window, predictor.hop, len(predictor.channels))

    def _interrupt(self) -> list[Movement]:
        self.ring.reset()
        self.smoothing.reset()
        return self.detector.flush()

    def run(
        self,
        stream: Stream,
        *,
        chunk: int = 50,
        realtime: bool = False,
        on_event: Callable[[Movement], None] | None = None,
        on_status: Callable[[str], None] | None = None,
        iou: float = 0.5,
    ) -> TrackResult:
        if abs(stream.rate_hz - self.predictor.rate_hz) > 1e-9:
            raise ValueError(f"stream at {stream.rate_hz} Hz, model expects {self.predictor.rate_hz} Hz")
        if chunk < 1:
            raise ValueError(f"chunk={chunk}: expected >= 1")
        names = self.predictor.class_names
        true_names = stream.class_names
        events: list[Movement] = []
        steps: list[WindowStep] = []
        latencies: list[float] = []
        counts: Counter[str] = Counter()
        interruptions = dropped = 0
        segment_start = None  # absolute index of the first sample since the last reset
        previous_t = None
        processing = 0.0
        wall_start = time.perf_counter()

        def emit(found: list[Movement]) -> None:
            for movement in found:
                events.append(movement)
                counts[movement.label] += 1
                if on_event:
                    on_event(movement)

        for begin in range(0, len(stream.t), chunk):
            if realtime:
                lag = stream.t[begin] - (time.perf_counter() - wall_start)
                if lag > 0:
                    time.sleep(lag)
            started = time.perf_counter()
            t = stream.t[begin : begin + chunk]
            x = stream.signals[begin : begin + chunk]
            finite = np.isfinite(x).all(axis=1)
            steps_in_time = np.diff(np.concatenate([[previous_t if previous_t is not None else t[0]], t]))
            cuts = np.flatnonzero((steps_in_time > self.max_gap_s) | ~finite)
            bounds = sorted({0, len(t), *cuts.tolist(), *(cuts + 1).tolist()})
            for lo, hi in zip(bounds[:-1], bounds[1:]):
                if lo >= hi:
                    continue
                if steps_in_time[lo] > self.max_gap_s or not finite[lo]:
                    if segment_start is not None:
                        interruptions += 1
                        emit(self._interrupt())
                    segment_start = None
                    if not finite[lo]:
                        dropped += 1
                        continue
                if segment_start is None:
                    segment_start = begin + lo
                for start, window in self.ring.push(x[lo:hi]):
                    absolute = segment_start + start
                    call = time.perf_counter()
                    probabilities = self.smoothing(self.predictor.predict_window(window))
                    latencies.append((time.perf_counter() - call) * 1000)
                    label = names[int(probabilities.argmax())]
                    centre = stream.t[absolute] + self.predictor.window / (2 * self.predictor.rate_hz)
                    true_label = None
                    if stream.labels is not None:
                        index = int(stream.labels[absolute + self.predictor.window // 2])
                        true_label = true_names[index] if index >= 0 else None
                    steps.append(
                        WindowStep(stream.t[absolute], centre, label, float(probabilities.max()), true_label)
                    )
                    emit(self.detector.update(centre, label, float(probabilities.max())))
            previous_t = t[-1]
            processing += time.perf_counter() - started
            if on_status:
                on_status(_status(steps, counts, latencies, stream.t[min(begin + chunk, len(stream.t)) - 1]))
        emit(self.detector.flush())
        result = TrackResult(
            events,
            steps,
            latencies,
            processing,
            stream.duration_s,
            interruptions,
            dropped,
            counts=dict(counts),
        )
        if stream.truth:
            result.score = match_events(events, stream.truth, min_iou=iou)
        labelled = [s for s in steps if s.true_label is not None]
        if labelled:
            classes = sorted({s.true_label for s in labelled})
            result.window_macro_f1 = float(
                f1_score(
                    [s.true_label for s in labelled],
                    [s.label for s in labelled],
                    labels=classes,
                    average="macro",
                    zero_division=0,
                )
            )
        return result


def _status(steps: list[WindowStep], counts: Counter, latencies: list[float], t: float) -> str:
    current = steps[-1].label if steps else "-"
    latency = np.percentile(latencies, 50) if latencies else 0.0
    tally = " ".join(f"{k}:{v}" for k, v in sorted(counts.items()))
    return f"t={t:7.1f}s  now: {current:<12} counts: {tally}  p50 {latency:.2f} ms"


def terminal_status(line: str) -> None:
    """A live one-line status on a terminal; nothing when output is a file or pipe."""
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line[:150].ljust(150))
        sys.stderr.flush()
