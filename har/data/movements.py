"""Movements found on the signal: the detector that training windows and the tracker share.

One detector for both shapes of movement users have:

- `signal="envelope"`: impulsive movements (strikes, with pauses or in flurries 0.4-0.7 s
  apart). The envelope is |‖accel‖ - 1 g| plus `gyro_weight` x ‖angular rate‖, smoothed by an
  exponential average of `smooth_s` (rotation-invariant, no gravity estimate to lag behind).
- `signal="axis"`: continuous repetitions without pauses (a set of 20 shoulder raises). The
  smoothed angular rate (`axis_of="angular_rate"`: the limb turns one way, then back) or
  acceleration (`"acceleration"`) is projected on its main axis of variation over the last
  `memory_s` (a running covariance; the axis keeps its sign from one update to the next) and
  divided by its running spread, so one repetition is one rise and one fall whatever the exercise.

On that signal, a movement is a peak that rises at least `prominence` above the valley before
it and is confirmed when the signal falls `prominence` below it (a delta peak detector, so a
long burst of strikes is split at its peaks, never dropped). A confirmed peak is rejected,
and counted with its reason, when it stays below `floor` or comes within `min_gap_s` of the
previous movement. The window classified for a movement is centred on its peak but ends at
most `max_wait_s` after the confirmation, which bounds the decision delay; training's movement
windows use the same `window_end`, so the model learns on the windows it will see.

The settings are fitted, not hand-set (`har.data.detector_fit`), and travel as a dict in the
run folder and the bundle's manifest. Everything here is causal and carries its state across
chunks, so a stream pushed in any chunking finds the same movements.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
from scipy.signal import lfilter

from har.data.channels import sensor_groups
from har.data.recording import DataError

# Part of the window cache's key for movement windows: change it with any change to what the
# detector finds or how it is fitted, so no cached window is cut by an older detector.
DETECTOR_VERSION = 2
SIGNALS = ("envelope", "axis")
AXIS_OF = {"acceleration": "g", "angular_rate": "rad/s"}
REJECTED_BELOW_FLOOR = "below the floor"
REJECTED_TOO_CLOSE = "closer than min_gap_s to the previous movement"
_AXIS_EVERY = 5  # samples between updates of the main axis (an eigen-decomposition each)
_ONSET_SHARE = 0.25  # the onset: where the rise passes this share of the peak's height


@dataclass(frozen=True)
class DetectorSettings:
    """The detector's parameters (see the module docstring); `fitted` says how they were chosen."""

    signal: str = "envelope"
    axis_of: str = "angular_rate"
    smooth_s: float = 0.05
    gyro_weight: float = 0.5
    memory_s: float = 3.0
    prominence: float = 0.5
    floor: float = 0.0
    min_gap_s: float = 0.3
    max_wait_s: float = 0.2
    fitted: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.signal not in SIGNALS:
            raise DataError(f"detector.signal={self.signal!r}: expected one of {', '.join(SIGNALS)}")
        if self.axis_of not in AXIS_OF:
            raise DataError(f"detector.axis_of={self.axis_of!r}: expected one of {', '.join(AXIS_OF)}")
        for name in ("smooth_s", "memory_s", "prominence"):
            if not getattr(self, name) > 0:
                raise DataError(f"detector.{name}={getattr(self, name)!r}: expected a positive number")
        if not np.isfinite(self.floor):
            raise DataError(f"detector.floor={self.floor!r}: expected a finite number")
        for name in ("gyro_weight", "min_gap_s", "max_wait_s"):
            if not getattr(self, name) >= 0:
                raise DataError(f"detector.{name}={getattr(self, name)!r}: expected a number >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "detector") -> DetectorSettings:
        """Settings from a dict (a run folder's detector.json, a manifest), refusing unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise DataError(
                f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}"
            )
        return cls(**values)


@dataclass(frozen=True)
class Found:
    """One movement, in sample indices since the detector's last reset.

    `end` is the sample at which the detector knew of it (the confirmation, or the end of the
    stream); `window_end` where the classified window ends (exclusive).
    """

    onset: int
    peak: int
    end: int
    window_end: int


def _ema(alpha: float, x: np.ndarray, state: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Exponential average along axis 0 with its state; starts at the first sample when state is None."""
    if state is None:
        state = (1.0 - alpha) * x[:1]
    out, state = lfilter([alpha], [1.0, alpha - 1.0], x, axis=0, zi=state)
    return out, state


def _alpha(seconds: float, rate_hz: float) -> float:
    return float(1.0 - np.exp(-1.0 / (seconds * rate_hz)))


class MovementSignal:
    """The causal signal the peaks are found on, (n, C) samples in g and rad/s -> (n,)."""

    def __init__(
        self, settings: DetectorSettings, channels: list[str], units: dict[str, str], rate_hz: float
    ):
        sensors = sensor_groups(channels, units)
        self.accel = [members for _, members, unit in sensors if unit == "g"]
        self.gyro = [members for _, members, unit in sensors if unit == "rad/s"]
        if not self.accel and not self.gyro:
            raise DataError(
                f"channels {channels} with units {units}: no acceleration (g) or angular rate (rad/s)"
            )
        self.settings = settings
        self.smooth = _alpha(settings.smooth_s, rate_hz)
        self.memory = _alpha(settings.memory_s, rate_hz)
        # the first sensor of the kind asked for (of the other kind when the stream has none)
        wanted, other = (
            (self.gyro, self.accel) if settings.axis_of == "angular_rate" else (self.accel, self.gyro)
        )
        self.axis_columns = (wanted or other)[0]
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.states: dict[str, np.ndarray | None] = dict.fromkeys(("smooth", "mean", "cov", "scale"))
        self.axis = np.zeros(len(self.axis_columns))
        self.axis[0] = 1.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        out = self._envelope(x) if self.settings.signal == "envelope" else self._axis(x)
        self.count += len(x)
        return out

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        raw = np.zeros(len(x))
        for columns in self.accel:
            raw += np.abs(np.linalg.norm(x[:, columns], axis=1) - 1.0) / len(self.accel)
        for columns in self.gyro:
            raw += self.settings.gyro_weight / len(self.gyro) * np.linalg.norm(x[:, columns], axis=1)
        out, self.states["smooth"] = _ema(self.smooth, raw, self.states["smooth"])
        return out

    def _axis(self, x: np.ndarray) -> np.ndarray:
        smooth, self.states["smooth"] = _ema(
            self.smooth, x[:, self.axis_columns].astype(float), self.states["smooth"]
        )
        mean, self.states["mean"] = _ema(self.memory, smooth, self.states["mean"])
        centred = smooth - mean  # (n, D)
        outer = (centred[:, :, None] * centred[:, None, :]).reshape(len(x), -1)  # (n, D*D)
        if self.states["cov"] is None:
            self.states["cov"] = np.zeros((1, outer.shape[1]))
        covariance, self.states["cov"] = _ema(self.memory, outer, self.states["cov"])
        axes = self._axes(covariance.reshape(len(x), len(self.axis_columns), -1))  # (n, D)
        projected = np.einsum("nd,nd->n", centred, axes)
        if self.states["scale"] is None:
            self.states["scale"] = np.zeros(1)
        power, self.states["scale"] = _ema(self.memory, projected**2, self.states["scale"])
        # an average that starts at 0 is too small for its first `memory_s`: divided by the weight
        # it has gathered (as Adam corrects its moments), it is the mean power from the start, so
        # the signal does not burst at the start of a stream
        power = power / (1.0 - (1.0 - self.memory) ** (self.count + np.arange(1, len(x) + 1)))
        return projected / np.sqrt(np.maximum(power, 1e-12))

    def _axes(self, covariance: np.ndarray) -> np.ndarray:
        """The main axis at every sample: updated every `_AXIS_EVERY` samples (by global index),
        its sign kept from one update to the next."""
        n = len(covariance)
        updates = np.flatnonzero((np.arange(n) + self.count) % _AXIS_EVERY == 0)
        if not updates.size:
            return np.broadcast_to(self.axis, (n, len(self.axis)))
        vectors = np.linalg.eigh(covariance[updates])[1][:, :, -1]  # (u, D) largest eigenvalue
        previous = np.vstack([self.axis, vectors[:-1]])
        flips = np.where(np.einsum("ud,ud->u", vectors, previous) < 0, -1.0, 1.0)
        # each update's sign follows its predecessor's already flipped one: a running product
        vectors = vectors * np.cumprod(flips)[:, None]
        which = np.searchsorted(updates, np.arange(n), side="right") - 1
        out = np.where((which >= 0)[:, None], vectors[np.maximum(which, 0)], self.axis)
        self.axis = vectors[-1]
        return out


class PeakFinder:
    """Delta peak detection over a stream of signal values, state carried across chunks."""

    def __init__(self, *, prominence: float, floor: float, min_gap: int) -> None:
        self.prominence, self.floor, self.min_gap = prominence, floor, min_gap
        self.rejected: Counter = Counter()  # over the finder's life, across resets (gaps)
        self.reset()

    def reset(self) -> None:
        self.rising = True
        self.extreme, self.extreme_at = np.inf, 0  # the valley so far (falling) or the peak (rising)
        self.valley, self.valley_at = np.inf, 0
        self.last_peak: int | None = None

    def push(self, z: np.ndarray, first: int) -> list[tuple[int, int, int, float, float]]:
        """Values at sample indices first, first+1, ...; returns (valley, peak, confirmed,
        valley value, peak value) of every movement confirmed in them."""
        out = []
        if self.extreme == np.inf:  # nothing seen since the reset: start from the first value
            self.extreme, self.extreme_at, self.rising = float(z[0]) if len(z) else np.inf, first, False
        i = 0
        while i < len(z):
            rest = z[i:]
            if self.rising:
                running = np.maximum.accumulate(np.concatenate([[self.extreme], rest]))[1:]
                turned = np.flatnonzero(rest < running - self.prominence)
            else:
                running = np.minimum.accumulate(np.concatenate([[self.extreme], rest]))[1:]
                turned = np.flatnonzero(rest > running + self.prominence)
            stop = turned[0] if turned.size else len(rest)
            head = rest[:stop]
            if head.size:
                best = int(np.argmax(head) if self.rising else np.argmin(head))
                better = head[best] > self.extreme if self.rising else head[best] < self.extreme
                if better:
                    self.extreme, self.extreme_at = float(head[best]), first + i + best
            if not turned.size:
                return out
            confirmed = first + i + stop
            if self.rising:
                found = self._accept(confirmed)
                if found is not None:
                    out.append(found)
            else:
                self.valley, self.valley_at = self.extreme, self.extreme_at
            self.rising = not self.rising
            self.extreme, self.extreme_at = float(rest[stop]), confirmed
            i += stop + 1
        return out

    def _accept(self, confirmed: int) -> tuple[int, int, int, float, float] | None:
        peak, height = self.extreme_at, self.extreme
        if height < self.floor:
            self.rejected[REJECTED_BELOW_FLOOR] += 1
            return None
        if self.last_peak is not None and peak - self.last_peak < self.min_gap:
            self.rejected[REJECTED_TOO_CLOSE] += 1
            return None
        self.last_peak = peak
        valley = self.valley_at if self.valley != np.inf else max(0, peak - 1)
        return valley, peak, confirmed, float(self.valley if self.valley != np.inf else height), height

    def finish(self, end: int) -> tuple[int, int, int, float, float] | None:
        """The end of the stream: a peak still rising counts if it rose a prominence above its valley."""
        if self.rising and self.valley != np.inf and self.extreme - self.valley >= self.prominence:
            return self._accept(end)
        return None


class MovementFinder:
    """Movements on a stream of raw samples: `push` chunks, `finish` at a gap or the end.

    Args:
        settings: the fitted detector.
        channels, units, rate_hz: the stream's (the run's or the bundle's).
        window: the classifier's window length in samples.
    """

    def __init__(
        self,
        settings: DetectorSettings,
        channels: list[str],
        units: dict[str, str],
        rate_hz: float,
        window: int,
    ) -> None:
        self.settings, self.window, self.rate_hz = settings, window, rate_hz
        self.signal = MovementSignal(settings, channels, units, rate_hz)
        self.peaks = PeakFinder(
            prominence=settings.prominence, floor=settings.floor, min_gap=round(settings.min_gap_s * rate_hz)
        )
        self.max_wait = round(settings.max_wait_s * rate_hz)
        self.history_size = 4 * window + round(4 * rate_hz)
        self.reset()

    def reset(self) -> None:
        self.signal.reset()
        self.peaks.reset()
        self.values = np.zeros(self.history_size)  # circular, by sample index
        self.count = 0

    @property
    def rejected(self) -> Counter:
        return self.peaks.rejected

    def push(self, x: np.ndarray) -> list[Found]:
        """(n, C) samples in; the movements confirmed by them out."""
        if not len(x):
            return []
        out = []
        # a window's worth at a time: what a movement's onset needs is still in the history,
        # whatever the chunking (see `_found`)
        for start in range(0, len(x), self.window):
            first = self.count
            z = self.signal(x[start : start + self.window])
            self.values[(first + np.arange(len(z))) % self.history_size] = z
            self.count += len(z)
            out += [self._found(*peak) for peak in self.peaks.push(z, first)]
        return out

    def finish(self) -> list[Found]:
        """A gap or the end of the stream: the movement still open, if it is one; then reset."""
        peak = self.peaks.finish(self.count) if self.count else None
        out = [self._found(*peak)] if peak is not None else []
        self.reset()
        return out

    def _found(self, valley: int, peak: int, confirmed: int, low: float, high: float) -> Found:
        # the oldest sample the history is sure to hold when this is called, by the confirmation
        # alone (not by how far the stream has been read), so every chunking agrees
        oldest = max(0, confirmed + 1 + self.window - self.history_size)
        start = max(valley, peak - self.window, oldest)
        rise = self.values[np.arange(start, peak + 1) % self.history_size]
        below = np.flatnonzero(rise < low + _ONSET_SHARE * (high - low))
        onset = start + int(below[-1]) + 1 if below.size else start
        return Found(onset, peak, confirmed, window_end(peak, confirmed, self.window, self.max_wait))


def window_end(peak: int, decided: int, window: int, max_wait: int) -> int:
    """Where a movement's window ends (exclusive): centred on the peak, at most `max_wait` after
    the detector knew of it, never before a whole window exists."""
    return max(min(peak + window // 2, decided + max_wait), window)


def find_movements(
    signals: np.ndarray,
    settings: DetectorSettings,
    channels: list[str],
    units: dict[str, str],
    rate_hz: float,
    window: int,
) -> tuple[list[Found], Counter]:
    """Every movement in one whole recording (the tracker's result on it as one stream)."""
    finder = MovementFinder(settings, channels, units, rate_hz, window)
    found = finder.push(signals)
    found += finder.finish()
    rejected = Counter(finder.rejected)
    # the stream ends here: a window still waiting for samples is taken on the newest ones, as
    # the tracker takes it at the end of a stream
    return [replace(f, window_end=min(f.window_end, len(signals))) for f in found], rejected
