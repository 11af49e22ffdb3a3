"""`decoder=thresholds`: one event per movement, by hand-set thresholds (`decoder=movements` is fitted).

Kept for data without a fitted detector (a bundle trained on sliding windows) and for the
settings tuned by hand in experiments/tracking (hapt transitions, with the posture rule).

Two stages, both on the live stream:

1. Detection, on the signal itself: the movement envelope is |‖accel‖ - 1 g| plus
   `gyro_weight` x ‖angular rate‖ (rotation-invariant, no gravity estimate to lag behind),
   smoothed by an exponential average of `smooth_s`. A movement starts when the envelope
   rises above `on_threshold` (its onset is traced back to where the envelope last stood
   below `off_threshold`) and ends at the first sample of `hangover_s` spent below
   `off_threshold`. Candidates shorter than `min_duration_s` or longer than `max_duration_s`
   (sustained activity such as walking) are dropped.
2. Classification, by the bundle's `Predictor`: one window aligned on the movement (centred on
   it, but ending no later than `max_wait_s` after its end, which bounds the decision delay).
   Kept if the event classes hold at least `min_movement_probability` of the window's
   probability; labelled with the most probable event class, `confidence` = its share.

Which channels are acceleration (g) and angular rate (rad/s) comes from the bundle's
manifest, so accelerometer-only bundles work too; with several sensors of a kind, each kind's
term is the mean over its sensors. Probability smoothing across windows does not apply here
(one window per movement): `smoothing` is accepted and not used.
"""

from __future__ import annotations

import time
from collections.abc import Collection

import numpy as np
from scipy.signal import lfilter

from har.data import DataError, sensor_groups
from har.export import Predictor
from har.stream.events import Movement, event_classes
from har.stream.metrics import match_onsets
from har.stream.windows import WindowStep


class Envelope:
    """Causal movement envelope of raw samples, filter state carried across chunks."""

    def __init__(
        self,
        channels: list[str],
        units: dict[str, str],
        rate_hz: float,
        *,
        smooth_s: float,
        gyro_weight: float,
    ):
        # one vector per sensor (a second accelerometer is a second vector, not three more axes
        # of the first); each kind is the mean over its sensors, so thresholds hold for any count
        sensors = sensor_groups(channels, units)
        self.accel = [_columns(members) for _, members, unit in sensors if unit == "g"]
        self.gyro = [_columns(members) for _, members, unit in sensors if unit == "rad/s"]
        if not self.accel and not self.gyro:
            raise DataError(
                f"channels {channels} with units {units}: no acceleration (g) or angular rate (rad/s)"
            )
        self.gyro_weight = gyro_weight
        alpha = 1.0 - np.exp(-1.0 / (smooth_s * rate_hz)) if smooth_s > 0 else 1.0
        self.numerator, self.denominator = [alpha], [1.0, alpha - 1.0]
        self.reset()

    def reset(self) -> None:
        self.state = np.zeros(1)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(n, C) samples in g and rad/s -> (n,) envelope."""
        raw = np.zeros(len(x))
        for columns in self.accel:
            raw += np.abs(np.sqrt(np.square(x[:, columns]).sum(axis=1)) - 1.0) / len(self.accel)
        for columns in self.gyro:
            raw += self.gyro_weight / len(self.gyro) * np.sqrt(np.square(x[:, columns]).sum(axis=1))
        if len(raw) > 16:
            out, self.state = lfilter(self.numerator, self.denominator, raw, zi=self.state)
            return out
        # a live chunk of a few samples: the same recursion, without lfilter's call overhead
        alpha = self.numerator[0]
        level = float(self.state[0]) / (1.0 - alpha) if alpha < 1 else 0.0  # lfilter keeps (1 - alpha) y
        out = np.empty(len(raw))
        for index, value in enumerate(raw.tolist()):
            level += alpha * (value - level)
            out[index] = level
        self.state = np.array([(1.0 - alpha) * level])
        return out


def _columns(indices: list[int]) -> slice | list[int]:
    """A slice when the channels are adjacent (a view, no copy per chunk), else the indices."""
    if indices == list(range(indices[0], indices[-1] + 1)):
        return slice(indices[0], indices[-1] + 1)
    return indices


class History:
    """The last `size` samples, their times and envelope, by sample index since the last reset."""

    def __init__(self, size: int, channels: int) -> None:
        self.size = size
        self.samples = np.zeros((size, channels), dtype=np.float32)  # (size, C) circular
        self.times = np.zeros(size)
        self.envelope = np.zeros(size)
        self.count = 0

    def append(self, t: np.ndarray, x: np.ndarray, envelope: np.ndarray) -> None:
        index = (self.count + np.arange(len(t))) % self.size
        self.samples[index], self.times[index], self.envelope[index] = x, t, envelope
        self.count += len(t)

    @property
    def oldest(self) -> int:
        return max(0, self.count - self.size)

    def time(self, index: int) -> float:
        return float(self.times[index % self.size])

    def window(self, end: int, length: int) -> np.ndarray:
        return self.samples[np.arange(end - length, end) % self.size]  # (length, C)


class ThresholdDetector:
    """Args (thresholds in envelope units: g, plus `gyro_weight` x rad/s):
    idle: classes that are not movements (strikes_sim: idle; hapt: the six activities).
    on_threshold, off_threshold: hysteresis of the detector (off <= on).
    hangover_s: quiet time that ends a movement (also the least decision delay).
    min_duration_s, max_duration_s: kept candidate lengths.
    smooth_s, gyro_weight: the envelope (see the module docstring).
    max_wait_s: the classified window ends at most this long after the movement.
    min_movement_probability: least total probability of the event classes to keep an event.
    lookback_s: how far back from the threshold crossing the onset is searched.
    min_posture_change_g: least change of the mean acceleration vector between the quiet
        before the onset and the quiet after the end (`hangover_s` each); for postural
        transitions, which end in another posture (0: no such rule, e.g. strikes).
    onset_offsets_s: per class, how much later the detected onset is than the labelled one
        (learnt on train/validation streams with `learn_onset_offsets`); subtracted from the
        reported onset, so events follow the annotation convention of the training data.
    """

    def __init__(
        self,
        predictor: Predictor,
        smoothing=None,
        *,
        idle: Collection[str] | None = ("idle",),
        on_threshold: float = 1.0,
        off_threshold: float = 0.5,
        hangover_s: float = 0.1,
        min_duration_s: float = 0.1,
        max_duration_s: float = 2.0,
        smooth_s: float = 0.05,
        gyro_weight: float = 0.5,
        max_wait_s: float = 0.2,
        min_movement_probability: float = 0.3,
        lookback_s: float = 1.0,
        min_posture_change_g: float = 0.0,
        onset_offsets_s: dict[str, float] | None = None,
    ) -> None:
        if not 0 <= off_threshold <= on_threshold:
            raise ValueError(
                f"decoder: expected 0 <= off_threshold <= on_threshold, got {off_threshold}, {on_threshold}"
            )
        rate = predictor.rate_hz
        self.predictor, self.rate_hz, self.window = predictor, rate, predictor.window
        self.on, self.off = on_threshold, off_threshold
        self.hangover = max(1, round(hangover_s * rate))
        self.min_length, self.max_length = round(min_duration_s * rate), round(max_duration_s * rate)
        self.max_wait, self.lookback = round(max_wait_s * rate), round(lookback_s * rate)
        self.min_movement_probability = min_movement_probability
        self.min_posture_change = min_posture_change_g
        names = predictor.class_names
        unknown = sorted(set(onset_offsets_s or {}) - set(names))
        if unknown:
            raise ValueError(f"decoder.onset_offsets_s: {', '.join(unknown)} not among the bundle's classes")
        self.onset_offsets = dict(onset_offsets_s or {})
        self.movement_index = np.array([names.index(c) for c in event_classes(names, idle)])
        self.envelope = Envelope(
            predictor.channels, predictor.manifest["units"], rate, smooth_s=smooth_s, gyro_weight=gyro_weight
        )
        size = self.window + self.max_length + self.hangover + self.max_wait + self.lookback
        self.history = History(size, len(predictor.channels))
        self.steps: list[WindowStep] = []  # model calls since the tracker last took them
        self._clear()

    def _clear(self) -> None:
        self.onset: int | None = None  # sample index of the open movement's onset
        self.last_loud = 0  # last sample at or above the off threshold
        self.pending: list[tuple[int, int, int]] = []  # (onset, end, window end) awaiting samples
        self.now = 0.0

    def push(self, t: np.ndarray, x: np.ndarray) -> list[Movement]:
        """Samples of one contiguous piece of stream in; the movements decided out."""
        if not len(t):
            return []
        self.now = float(t[-1])
        out = []
        step = self.window  # the history holds more than this: nothing is overwritten unread
        for lo in range(0, len(t), step):
            first = self.history.count
            envelope = self.envelope(x[lo : lo + step])
            self.history.append(t[lo : lo + step], x[lo : lo + step], envelope)
            self._scan(envelope, first)
            out += self._classify_ready(self.history.count)
        return out

    def _scan(self, envelope: np.ndarray, first: int) -> None:
        """Run the hysteresis over new envelope samples (sample indices first, first+1, ...)."""
        position, stop = first, first + len(envelope)
        while position < stop:
            new = envelope[position - first :]
            if self.onset is None:
                above = np.flatnonzero(new > self.on)
                if not above.size:
                    return
                crossing = position + int(above[0])
                self.onset, self.last_loud = self._trace_onset(crossing), crossing
                position = crossing + 1
                continue
            loud = np.flatnonzero(new >= self.off) + position
            previous = np.concatenate([[self.last_loud], loud])
            quiet = np.concatenate([loud, [stop]]) - previous - 1  # quiet samples after each loud one
            ends = np.flatnonzero(quiet >= self.hangover)
            if not ends.size:
                self.last_loud = int(previous[-1])
                return
            end = int(previous[ends[0]]) + 1  # the first quiet sample
            self._close(self.onset, end)
            self.onset = None
            position = end + self.hangover

    def _trace_onset(self, crossing: int) -> int:
        """The sample after the last one below the off threshold before `crossing`."""
        earliest = max(self.history.oldest, crossing - self.lookback, 0)
        indices = np.arange(earliest, crossing)
        below = np.flatnonzero(self.history.envelope[indices % self.history.size] < self.off)
        return int(indices[below[-1]]) + 1 if below.size else earliest

    def _close(self, onset: int, end: int) -> None:
        if not self.min_length <= end - onset <= self.max_length:
            return  # too short to be a movement, or sustained activity
        if self.min_posture_change > 0 and self._posture_change(onset, end) < self.min_posture_change:
            return  # back where it started: a fidget, not a transition
        centre = (onset + end) / 2
        window_end = min(int(round(centre + self.window / 2)), end + self.max_wait)
        window_end = max(window_end, self.history.oldest + self.window, self.window)
        self.pending.append((onset, end, window_end))

    def _posture_change(self, onset: int, end: int) -> float:
        """‖mean acceleration after the end - before the onset‖ over `hangover` quiet samples each
        (the mean over the accelerometers, with several)."""
        accel = self.envelope.accel
        before_start = max(onset - self.hangover, self.history.oldest)
        after_stop = min(end + self.hangover, self.history.count)
        if not accel or before_start >= onset or end >= after_stop:
            return 0.0
        before = self.history.window(onset, onset - before_start).mean(axis=0)  # (C,)
        after = self.history.window(after_stop, after_stop - end).mean(axis=0)  # (C,)
        return float(np.mean([np.linalg.norm(after[columns] - before[columns]) for columns in accel]))

    def _classify_ready(self, available: int) -> list[Movement]:
        """Classify the pending movements whose window ends at or before sample `available`."""
        ready = [p for p in self.pending if p[2] <= available]
        self.pending = [p for p in self.pending if p[2] > available]
        return [m for p in ready if (m := self._classify(*p)) is not None]

    def _classify(self, onset: int, end: int, window_end: int) -> Movement | None:
        if window_end - self.window < self.history.oldest:
            return None  # its samples are gone (a stream shorter than a window since a gap)
        call = time.perf_counter()
        probabilities = self.predictor.predict_window(self.history.window(window_end, self.window))
        latency_ms = (time.perf_counter() - call) * 1000
        movement = probabilities[self.movement_index]
        best = int(self.movement_index[movement.argmax()])
        label = self.predictor.class_names[best]
        window_onset = self.history.time(window_end - self.window)
        centre = window_onset + self.window / (2 * self.rate_hz)
        self.steps.append(WindowStep(window_onset, centre, label, float(probabilities[best]), latency_ms))
        if movement.sum() < self.min_movement_probability:
            return None
        confidence = float(probabilities[best] / movement.sum())
        start, stop = self.history.time(onset), self.history.time(end)
        start = min(start - self.onset_offsets.get(label, 0.0), stop - 1 / self.rate_hz)
        return Movement(label, start, stop, confidence, self.now)

    def interrupt(self) -> list[Movement]:
        """A gap or the end of the stream: the open movement ends at its last loud sample, every
        pending one is classified on the newest window there is, and the history is forgotten."""
        count = self.history.count
        if self.onset is not None:
            self._close(self.onset, min(self.last_loud + 1, count))
        self.pending = [(onset, end, min(window_end, count)) for onset, end, window_end in self.pending]
        out = self._classify_ready(count)
        self.history.count = 0
        self.envelope.reset()
        self._clear()
        return out


def learn_onset_offsets(
    events: list[list[Movement]], truths: list[list[tuple[str, float, float]]], *, collar_s: float = 3.0
) -> dict[str, float]:
    """Median (detected onset - true onset) per class over streams, matching within `collar_s`.

    For `onset_offsets_s`: fitted on train/validation streams, never on test ones.
    """
    errors: dict[str, list[float]] = {}
    for predicted, truth in zip(events, truths):
        pairs, _ = match_onsets(predicted, truth, collar_s=collar_s)
        for i, j in pairs:
            errors.setdefault(truth[j][0], []).append(predicted[i].onset - truth[j][1])
    return {label: round(float(np.median(values)), 3) for label, values in sorted(errors.items())}
