"""Fitting the movement detector on training recordings: from their counts, else their signal.

With counts (a session's `count`, or its number of true events), a small grid of detector
settings is searched for the least mean |found - count| over the training sessions; ties go to
the earlier grid point (smaller smoothing, the envelope before the axis). Without counts, the
settings come from the signal's own statistics: the envelope, a prominence of half the spread
between its median and its 99th percentile, and a floor at its 90th percentile. Only the
sessions given are looked at: the caller passes the non-test subjects' recordings.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from har.data.movements import DetectorSettings, MovementSignal, PeakFinder
from har.data.recording import Recording

# The grid: enough to tell strikes from repetitions, small enough to fit in seconds.
_ENVELOPE_SMOOTH_S = (0.03, 0.08)
_AXIS_OF = ("angular_rate", "acceleration")
_AXIS_SMOOTH_S = (0.1, 0.25)
_ENVELOPE_PROMINENCE = (0.1, 0.2, 0.35, 0.5)  # shares of the envelope's p99 - p50
_ENVELOPE_FLOOR = (0.0, 0.5, 0.9)  # quantiles of the envelope
_AXIS_PROMINENCE = (0.6, 1.0, 1.5, 2.0)  # running standard deviations
_MIN_GAP_S = (0.2, 0.3, 0.45, 0.7, 1.0, 1.5)


def truth_count(recording: Recording) -> int | None:
    """A session's known number of movements: its count, else its number of true events."""
    if recording.count is not None:
        return recording.count
    return len(recording.events) if recording.events else None


def fit_detector(
    recordings: Sequence[Recording], channels: list[str], units: dict[str, str], rate_hz: float
) -> DetectorSettings:
    """The detector for these (training) recordings; `fitted` records how it was chosen."""
    counted = [(r, truth_count(r)) for r in recordings if truth_count(r) is not None]
    subjects = sorted({r.subject for r in recordings})
    if not counted:
        return _from_statistics(recordings, channels, units, rate_hz, subjects)
    truths = np.array([count for _, count in counted])
    best: tuple[float, DetectorSettings, np.ndarray] | None = None
    signals = [("envelope", "angular_rate", s) for s in _ENVELOPE_SMOOTH_S]
    signals += [("axis", of, s) for of in _AXIS_OF for s in _AXIS_SMOOTH_S]
    for signal, axis_of, smooth_s in signals:
        base = DetectorSettings(signal=signal, axis_of=axis_of, smooth_s=smooth_s)
        values = [MovementSignal(base, channels, units, rate_hz)(r.signals) for r, _ in counted]
        pooled = np.concatenate(values)
        if signal == "envelope":
            spread = float(np.percentile(pooled, 99) - np.percentile(pooled, 50)) or 1.0
            prominences = [share * spread for share in _ENVELOPE_PROMINENCE]
            floors = [float(np.quantile(pooled, q)) for q in _ENVELOPE_FLOOR]
        else:
            prominences, floors = list(_AXIS_PROMINENCE), [float(pooled.min()) - 1.0]
        for prominence in prominences:
            peaks = [_peaks(z, prominence) for z in values]  # (heights, positions) per session
            for floor, gap_s in itertools.product(floors, _MIN_GAP_S):
                found = np.array([_count(h, p, floor, round(gap_s * rate_hz)) for h, p in peaks])
                error = float(np.mean(np.abs(found - truths)))
                if best is None or error < best[0] - 1e-12:
                    settings = DetectorSettings(
                        signal=signal,
                        axis_of=axis_of,
                        smooth_s=smooth_s,
                        prominence=round(prominence, 6),
                        floor=round(floor, 6),
                        min_gap_s=gap_s,
                    )
                    best = (error, settings, found)
    error, settings, found = best
    fitted = {
        "from": "counts",
        "sessions": len(counted),
        "subjects": subjects,
        "count_mae": round(error, 4),
        "within1": round(float(np.mean(np.abs(found - truths) <= 1)), 4),
    }
    return DetectorSettings(**{**settings.to_dict(), "fitted": fitted})


def _peaks(z: np.ndarray, prominence: float) -> tuple[np.ndarray, np.ndarray]:
    """Heights and positions of every delta peak (before the floor and gap rules)."""
    finder = PeakFinder(prominence=prominence, floor=-np.inf, min_gap=0)
    found = finder.push(z, 0)
    end = finder.finish(len(z))
    found += [end] if end is not None else []
    return np.array([f[4] for f in found]), np.array([f[1] for f in found], dtype=int)


def _count(heights: np.ndarray, positions: np.ndarray, floor: float, min_gap: int) -> int:
    """How many peaks the floor and gap rules keep, in PeakFinder's order of rules."""
    count, last = 0, None
    for height, position in zip(heights.tolist(), positions.tolist()):
        if height < floor or (last is not None and position - last < min_gap):
            continue
        count, last = count + 1, position
    return count


def _from_statistics(recordings, channels, units, rate_hz, subjects) -> DetectorSettings:
    base = DetectorSettings()
    pooled = np.concatenate([MovementSignal(base, channels, units, rate_hz)(r.signals) for r in recordings])
    median, high = np.percentile(pooled, [50, 99])
    fitted = {"from": "statistics", "sessions": len(recordings), "subjects": subjects}
    return DetectorSettings(
        prominence=round(float(max(high - median, 1e-3) / 2), 6),
        floor=round(float(np.percentile(pooled, 90)), 6),
        fitted=fitted,
    )
