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
_EVENT_TOLERANCE_S = 0.1  # a peak this close to a true event's span finds it (< half a flurry's spacing)
_BLOCK = 256  # samples per push when finding the peaks of a whole session


def truth_count(recording: Recording) -> int | None:
    """A session's known number of movements: its count, else its number of true events."""
    if recording.count is not None:
        return recording.count
    return len(recording.events) if recording.events else None


def fit_detector(
    recordings: Sequence[Recording], channels: list[str], units: dict[str, str], rate_hz: float
) -> DetectorSettings:
    """The detector for these (training) recordings; `fitted` records how it was chosen.

    Sessions with true events (onsets) are scored by how well the peaks find them (F1: a peak
    inside an event's span, widened by `_EVENT_TOLERANCE_S`, finds it; one peak per event),
    then by count error; sessions with a count only, by count error.
    """
    counted = [(r, truth_count(r)) for r in recordings if truth_count(r) is not None]
    subjects = sorted({r.subject for r in recordings})
    if not counted:
        return _from_statistics(recordings, channels, units, rate_hz, subjects)
    truths = np.array([count for _, count in counted])
    with_events = all(r.events for r, _ in counted)
    spans = [_spans(r, rate_hz) for r, _ in counted] if with_events else None
    best: tuple[tuple[float, float], DetectorSettings, np.ndarray, float | None] | None = None
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
                kept = [_kept(h, p, floor, round(gap_s * rate_hz)) for h, p in peaks]
                found = np.array([len(k) for k in kept])
                error = float(np.mean(np.abs(found - truths)))
                f1 = _f1(kept, spans) if spans is not None else None
                cost = (-(f1 or 0.0), error)
                if best is None or _better(cost, best[0]):
                    settings = DetectorSettings(
                        signal=signal,
                        axis_of=axis_of,
                        smooth_s=smooth_s,
                        prominence=round(prominence, 6),
                        floor=round(floor, 6),
                        min_gap_s=gap_s,
                    )
                    best = (cost, settings, found, f1)
    (_, error), settings, found, f1 = best
    fitted = {
        "from": "events" if with_events else "counts",
        "sessions": len(counted),
        "subjects": subjects,
        "count_mae": round(error, 4),
        "within1": round(float(np.mean(np.abs(found - truths) <= 1)), 4),
        **({"event_f1": round(f1, 4)} if f1 is not None else {}),
    }
    return DetectorSettings(**{**settings.to_dict(), "fitted": fitted})


def _better(cost: tuple[float, float], best: tuple[float, float]) -> bool:
    """Lexicographically lower, ties within rounding going to the earlier grid point."""
    for mine, theirs in zip(cost, best):
        if mine < theirs - 1e-12:
            return True
        if mine > theirs + 1e-12:
            return False
    return False


def _spans(recording: Recording, rate_hz: float) -> np.ndarray:
    """(E, 2) sample spans of a session's true events, widened by the tolerance, by start."""
    widen = _EVENT_TOLERANCE_S * rate_hz
    spans = np.array([(e.start_s * rate_hz - widen, e.end_s * rate_hz + widen) for e in recording.events])
    return spans[np.argsort(spans[:, 0])]


def _f1(kept: list[np.ndarray], spans: list[np.ndarray]) -> float:
    """Pooled F1 of peaks finding events: one peak per event, the rest are false."""
    hits = false = missed = 0
    for positions, events in zip(kept, spans):
        index = np.searchsorted(events[:, 0], positions, side="right") - 1
        inside = (index >= 0) & (positions <= events[np.maximum(index, 0), 1])
        per_event = np.bincount(index[inside], minlength=len(events))
        found = int((per_event > 0).sum())
        hits, missed = hits + found, missed + len(events) - found
        false += int((~inside).sum() + np.maximum(per_event - 1, 0).sum())
    return 2 * hits / (2 * hits + false + missed) if hits + false + missed else 0.0


def _peaks(z: np.ndarray, prominence: float) -> tuple[np.ndarray, np.ndarray]:
    """Heights and positions of every delta peak (before the floor and gap rules)."""
    finder = PeakFinder(prominence=prominence, floor=-np.inf, min_gap=0)
    found = []
    for start in range(0, len(z), _BLOCK):  # in blocks: each turn scans only what is left of its block
        found += finder.push(z[start : start + _BLOCK], start)
    end = finder.finish(len(z))
    found += [end] if end is not None else []
    return np.array([f[4] for f in found]), np.array([f[1] for f in found], dtype=int)


def _kept(heights: np.ndarray, positions: np.ndarray, floor: float, min_gap: int) -> np.ndarray:
    """The positions the floor and gap rules keep, in PeakFinder's order of rules."""
    positions = positions[heights >= floor]
    if len(positions) < 2 or (np.diff(positions) >= min_gap).all():
        return positions
    kept, last = [], None
    for position in positions.tolist():
        if last is None or position - last >= min_gap:
            kept.append(position)
            last = position
    return np.array(kept, dtype=int)


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
