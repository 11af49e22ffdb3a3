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

import numpy as np
from omegaconf import DictConfig

from har.data.detector_fit import fit_detector
from har.data.movements import DetectorSettings, find_movements
from har.data.recording import UNLABELLED, DataError, Recording, RecordingSet
from har.data.windowing import labelled_windows, window_starts

KINDS = ("sliding", "movements")
IDLE = "idle"


def windows_settings(data_cfg: DictConfig) -> tuple[str, bool]:
    """(kind, idle_class) of `data.windows`; sliding without an idle class when absent."""
    windows = data_cfg.get("windows") or {}
    kind, idle = windows.get("kind", "sliding"), windows.get("idle_class", False)
    if kind not in KINDS:
        raise DataError(f"data.windows.kind={kind!r}: expected one of {', '.join(KINDS)}")
    if not isinstance(idle, bool):
        raise DataError(f"data.windows.idle_class={idle!r}: expected true or false")
    return kind, idle


def fit_for_windows(
    recordings: RecordingSet, resampled: list[Recording], test_subjects: list[str]
) -> DetectorSettings:
    """The detector fitted on every non-test subject's sessions (never on a test subject)."""
    if not test_subjects:
        raise DataError(
            "data.windows.kind=movements: the detector is fitted on the non-test subjects before the "
            "windows are cut, so the test subjects must be named: set data.split.test_subjects "
            "(or a split column in sessions.csv)"
        )
    training = [r for r in resampled if r.subject not in set(test_subjects)]
    return fit_detector(training, list(recordings.channels), recordings.units, resampled[0].rate_hz)


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
