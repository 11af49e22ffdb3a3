"""Training windows aligned on movements: the windows the tracker will classify, for training.

`data.windows.kind=movements` cuts each session into one window per movement that the fitted
detector finds (`har.data.movements`), aligned exactly as the tracker aligns them at run time
(`window_end`), each labelled with the session's label at the movement's peak. With
`data.windows.idle_class=true`, windows from the spans between movements (at the sliding hop,
touching no movement) form an `idle` class, so the model learns to turn a false detection down.
`kind=sliding` (the default) keeps sliding windows, right for activities.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
from omegaconf import DictConfig

from har.data.detector_fit import fit_detector
from har.data.movements import DetectorSettings, find_movements
from har.data.recording import UNLABELLED, DataError, Event, Recording, RecordingSet
from har.data.windowing import labelled_windows, window_starts

KINDS = ("sliding", "movements")
IDLE = "idle"


def windows_settings(data_cfg: DictConfig) -> tuple[str, bool, list[str]]:
    """(kind, idle_class, events) of `data.windows`; sliding, no idle class, no events when absent."""
    windows = data_cfg.get("windows") or {}
    kind, idle = windows.get("kind", "sliding"), windows.get("idle_class", False)
    unknown = sorted(set(windows) - {"kind", "idle_class", "events"})
    if unknown:
        raise DataError(
            f"data.windows: unknown key(s) {', '.join(unknown)}; expected kind, idle_class, events"
        )
    if kind not in KINDS:
        raise DataError(f"data.windows.kind={kind!r}: expected one of {', '.join(KINDS)}")
    if not isinstance(idle, bool):
        raise DataError(f"data.windows.idle_class={idle!r}: expected true or false")
    return kind, idle, list(windows.get("events") or [])


def fit_for_windows(
    recordings: RecordingSet,
    resampled: list[Recording],
    test_subjects: list[str],
    events: list[str] | None = None,
) -> DetectorSettings:
    """The detector fitted on every non-test subject's sessions (never on a test subject).

    `events` (`data.windows.events`): classes whose labelled runs are the movements to find
    (hapt: the postural transitions), for sources without events or counts of their own.
    """
    if not test_subjects:
        raise DataError(
            "data.windows.kind=movements: the detector is fitted on the non-test subjects before the "
            "windows are cut, so the test subjects must be named: set data.split.test_subjects "
            "(or a split column in sessions.csv)"
        )
    training = [r for r in resampled if r.subject not in set(test_subjects)]
    if events:
        training = [_with_events(r, recordings.class_names, events) for r in training]
    return fit_detector(training, list(recordings.channels), recordings.units, resampled[0].rate_hz)


def _with_events(recording: Recording, class_names: list[str], classes: list[str]) -> Recording:
    """The recording with its labelled runs of `classes` as its true events."""
    unknown = sorted(set(classes) - set(class_names))
    if unknown:
        raise DataError(
            f"data.windows.events: {', '.join(unknown)} not among the classes ({', '.join(class_names)})"
        )
    wanted = np.isin(recording.labels, [class_names.index(c) for c in classes])
    edges = np.flatnonzero(np.diff(np.concatenate([[0], wanted.astype(np.int8), [0]])))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]
    rate = recording.rate_hz
    found = tuple(Event(class_names[recording.labels[a]], a / rate, b / rate) for a, b in runs)
    return replace(recording, events=found, count=None)


def session_windows(
    recording: Recording,
    data_cfg: DictConfig,
    window: int,
    hop: int,
    *,
    detector: DetectorSettings | None,
    channels: list[str],
    units: dict[str, str],
    idle_label: int | None,
    rejected: Counter,
) -> tuple[np.ndarray, np.ndarray]:
    """y (N,) and starts (N,) of one session: sliding windows, or one window per movement."""
    if detector is None:
        return labelled_windows(
            recording, window, hop, rule=data_cfg.label_rule, min_purity=data_cfg.min_purity
        )
    if len(recording.signals) < window:
        raise DataError(
            f"{recording.name}: {len(recording.signals)} samples ({recording.duration_s:.2f} s) "
            f"is shorter than one window of {window} samples"
        )
    found, why = find_movements(recording.signals, detector, channels, units, recording.rate_hz, window)
    rejected.update(why)
    starts = np.array([f.window_end - window for f in found], dtype=np.int64)
    y = recording.labels[[f.peak for f in found]].astype(np.int64) if found else np.zeros(0, np.int64)
    if idle_label is not None:
        idle = _idle_starts(len(recording.signals), window, hop, [(f.onset, f.end + 1) for f in found])
        starts, y = np.concatenate([starts, idle]), np.concatenate([y, np.full(len(idle), idle_label)])
    keep = y != UNLABELLED
    rejected["unlabelled at the peak"] += int((~keep).sum())
    return y[keep], starts[keep]


def _idle_starts(n: int, window: int, hop: int, spans: list[tuple[int, int]]) -> np.ndarray:
    """Sliding-window starts whose window touches no movement span [onset, end)."""
    starts = window_starts(n, window, hop)
    clear = np.ones(len(starts), dtype=bool)
    for onset, end in spans:
        clear &= (starts + window <= onset) | (starts >= end)
    return starts[clear]
