"""The tracker: replay a stream in chunks through a decoder, cut it at gaps, count and time.

The decoder (`conf/decoder/`: `runs`, `viterbi`, `movements`) owns the model calls and turns
them into events; the tracker feeds it contiguous pieces of stream and keeps the books.

Documented handling of bad stream data (never a silent wrong result):

- a gap (the next timestamp more than `max_gap_s` after the previous one) or a run of
  non-finite samples (NaN/inf, e.g. a sensor dropout) interrupts the stream: the decoder
  closes what is open and forgets the past, so no window and no event ever spans the
  interruption; windows restart after it. Interruptions and dropped samples are counted.
- timestamps that go back are rejected when the stream is read.

Memory does not grow with the stream: latencies go to a fixed histogram, window decisions
to a confusion count, and only the first `keep_steps_s` of steps (for the plot) and, unless
`keep_events=False`, the events are kept.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from har.export import Predictor
from har.stream.events import Movement
from har.stream.windows import WindowStep


class LatencyHistogram:
    """Per-call latencies in 1% wide bins from 1 µs to 10 s: percentiles in constant memory."""

    def __init__(self) -> None:
        self.edges = np.geomspace(1e-3, 1e4, 1621)  # ms; 1.01 ratio between edges
        self.counts = np.zeros(len(self.edges) + 1, dtype=np.int64)

    def add(self, milliseconds: float) -> None:
        self.counts[np.searchsorted(self.edges, milliseconds)] += 1

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def percentile(self, q: float) -> float:
        """The upper edge of the bin holding the q-th percentile (0 when empty)."""
        if not self.total:
            return 0.0
        index = int(np.searchsorted(np.cumsum(self.counts), q / 100 * self.total))
        return float(self.edges[min(index, len(self.edges) - 1)])


@dataclass
class TrackResult:
    events: list[Movement] = field(default_factory=list)
    steps: list[WindowStep] = field(default_factory=list)  # the first keep_steps_s of the stream
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    processing_s: float = 0.0
    duration_s: float = 0.0
    interruptions: int = 0
    dropped_samples: int = 0
    counts: Counter = field(default_factory=Counter)
    confusion: Counter = field(default_factory=Counter)  # (true, predicted) window labels

    @property
    def window_macro_f1(self) -> float | None:
        """Macro-F1 of the window decisions over the true classes present (None: no labels)."""
        if not self.confusion:
            return None
        scores = []
        for label in sorted({true for true, _ in self.confusion}):
            hits = self.confusion[(label, label)]
            predicted = sum(n for (_, p), n in self.confusion.items() if p == label)
            expected = sum(n for (t, _), n in self.confusion.items() if t == label)
            scores.append(2 * hits / (predicted + expected) if predicted + expected else 0.0)
        return float(np.mean(scores))

    def summary(self) -> dict:
        return {
            "windows": self.latency.total,
            "events": sum(self.counts.values()),
            "counts": dict(sorted(self.counts.items())),
            "latency_p50_ms": self.latency.percentile(50),
            "latency_p95_ms": self.latency.percentile(95),
            "real_time_factor": self.duration_s / self.processing_s if self.processing_s else float("inf"),
            "stream_s": self.duration_s,
            "processing_s": self.processing_s,
            "interruptions": self.interruptions,
            "dropped_samples": self.dropped_samples,
            "window_macro_f1": self.window_macro_f1,
        }


class Tracker:
    """One decoder (which holds the bundle's `Predictor`) on one stream at a time."""

    def __init__(
        self, predictor: Predictor, decoder, *, max_gap_s: float = 0.1, keep_steps_s: float | None = 60.0
    ):
        self.predictor, self.decoder = predictor, decoder
        self.max_gap_s, self.keep_steps_s = max_gap_s, keep_steps_s

    def run(
        self,
        stream,
        *,
        chunk: int = 25,
        realtime: bool = False,
        on_event: Callable[[Movement], None] | None = None,
        on_status: Callable[[str], None] | None = None,
        keep_events: bool = True,
    ) -> TrackResult:
        """Push `stream.chunks(chunk)` through the decoder; the events go to `on_event` as they come."""
        if abs(stream.rate_hz - self.predictor.rate_hz) > 1e-9:
            raise ValueError(f"stream at {stream.rate_hz} Hz, model expects {self.predictor.rate_hz} Hz")
        if chunk < 1:
            raise ValueError(f"chunk={chunk}: expected >= 1")
        run = _Run(self, stream, on_event, keep_events)
        wall_start = time.perf_counter()
        for t, x in stream.chunks(chunk):
            if realtime:
                _pace(t[0] - run.first_t if run.first_t is not None else 0.0, wall_start)
            started = time.perf_counter()
            run.push(t, x)
            run.result.processing_s += time.perf_counter() - started
            if on_status:
                on_status(run.status())
        run.interrupt()
        return run.finish()


class _Run:
    """The books of one `Tracker.run`: where the last piece ended, what came out."""

    def __init__(self, tracker: Tracker, stream, on_event, keep_events: bool) -> None:
        self.tracker, self.decoder, self.stream = tracker, tracker.decoder, stream
        self.on_event, self.keep_events = on_event, keep_events
        self.result = TrackResult()
        self.first_t: float | None = None
        self.previous_t: float | None = None
        self.open = False  # samples pushed since the last interruption

    def push(self, t: np.ndarray, x: np.ndarray) -> None:
        """Cut one chunk at gaps and non-finite rows; feed the decoder the clean pieces."""
        if self.first_t is None and len(t):
            self.first_t = float(t[0])
        finite = np.isfinite(x).all(axis=1)
        steps = np.empty(len(t))  # time since the previous sample
        steps[0] = t[0] - self.previous_t if self.previous_t is not None else 0.0
        np.subtract(t[1:], t[:-1], out=steps[1:])
        breaks = (steps > self.tracker.max_gap_s) | ~finite
        if not breaks.any():  # the usual chunk: one clean piece
            self.open = True
            self._emit(self.decoder.push(t, x))
            self.previous_t = float(t[-1])
            return
        cuts = np.flatnonzero(breaks)
        bounds = sorted({0, len(t), *cuts.tolist(), *(cuts + 1).tolist()})
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            if breaks[lo]:
                if self.open:
                    self.result.interruptions += 1
                    self.interrupt()
                if not finite[lo]:
                    self.result.dropped_samples += 1
                    continue
            self.open = True
            self._emit(self.decoder.push(t[lo:hi], x[lo:hi]))
        if len(t):
            self.previous_t = float(t[-1])

    def interrupt(self) -> None:
        self._emit(self.decoder.interrupt())
        self.open = False

    def _emit(self, events: list[Movement]) -> None:
        self._take_steps()
        for event in events:
            self.result.counts[event.label] += 1
            if self.keep_events:
                self.result.events.append(event)
            if self.on_event:
                self.on_event(event)

    def _take_steps(self) -> None:
        stream, result, keep = self.stream, self.result, self.tracker.keep_steps_s
        labels = getattr(stream, "labels", None)
        for step in self.decoder.steps:
            result.latency.add(step.latency_ms)
            if keep is None or step.onset - (self.first_t or 0.0) <= keep:
                result.steps.append(step)
            if labels is not None:
                index = min(int(np.searchsorted(stream.t, step.centre)), len(labels) - 1)
                if labels[index] >= 0:
                    result.confusion[(stream.class_names[labels[index]], step.label)] += 1
        self.decoder.steps.clear()

    def status(self) -> str:
        steps, counts = self.result.steps, self.result.counts
        current = steps[-1].label if steps else "-"
        tally = " ".join(f"{k}:{v}" for k, v in sorted(counts.items()))
        return (
            f"t={self.previous_t or 0.0:7.1f}s  last: {current:<12} counts: {tally}  "
            f"p50 {self.result.latency.percentile(50):.2f} ms"
        )

    def finish(self) -> TrackResult:
        if self.first_t is not None:
            self.result.duration_s = self.previous_t - self.first_t + 1 / self.stream.rate_hz
        return self.result


def _pace(stream_s: float, wall_start: float) -> None:
    """Sleep until the wall clock catches up with the stream (realtime replay)."""
    lag = stream_s - (time.perf_counter() - wall_start)
    if lag > 0:
        time.sleep(lag)


def terminal_status(line: str) -> None:
    """A live one-line status on a terminal; nothing when output is a file or pipe."""
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line[:150].ljust(150))
        sys.stderr.flush()
