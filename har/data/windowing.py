"""Resampling to a configured rate and cutting recordings into labelled windows."""

from __future__ import annotations

import numpy as np

from har.data.recording import UNLABELLED, DataError, Recording

LABEL_RULES = ("majority", "centre")


def samples_per(seconds: float, rate_hz: float) -> int:
    """Seconds to a whole number of samples; refuses values that do not land on a sample."""
    samples = seconds * rate_hz
    if abs(samples - round(samples)) > 1e-6 or round(samples) < 1:
        raise DataError(f"{seconds} s at {rate_hz} Hz is {samples} samples, not a whole positive number")
    return int(round(samples))


def resample(recording: Recording, rate_hz: float) -> Recording:
    """Linear interpolation of the signals onto a `rate_hz` grid; labels take the nearest sample."""
    if abs(recording.rate_hz - rate_hz) < 1e-9:
        return recording
    n_out = int(np.floor(recording.duration_s * rate_hz))
    t_in = np.arange(len(recording.signals)) / recording.rate_hz
    t_out = np.arange(n_out) / rate_hz
    signals = np.stack([np.interp(t_out, t_in, channel) for channel in recording.signals.T], axis=1).astype(
        np.float32
    )  # (n_out, C)
    nearest = np.clip(np.rint(t_out * recording.rate_hz).astype(int), 0, len(t_in) - 1)
    return Recording(
        signals=signals,
        labels=recording.labels[nearest],
        rate_hz=rate_hz,
        subject=recording.subject,
        name=recording.name,
        events=recording.events,
        count=recording.count,  # the movements in the session do not change with the grid
    )


def window_starts(n_samples: int, window: int, hop: int) -> np.ndarray:
    """Start index of every full window; a tail shorter than a window is dropped."""
    if n_samples < window:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_samples - window + 1, hop, dtype=np.int64)


def window_labels(
    labels: np.ndarray, starts: np.ndarray, window: int, rule: str, min_purity: float
) -> np.ndarray:
    """One label per window, or -1 for windows the rule rejects.

    `majority`: the most frequent label, kept if it is labelled and covers at least
    `min_purity` of the window (so windows that straddle two activities, or are mostly
    unlabelled, are dropped rather than guessed). `centre`: the label of the centre sample.
    """
    if rule not in LABEL_RULES:
        raise DataError(f"data.label_rule={rule!r}: expected one of {', '.join(LABEL_RULES)}")
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    index = starts[:, None] + np.arange(window)[None, :]  # (N, T)
    spans = labels[index]  # (N, T)
    if rule == "centre":
        return spans[:, window // 2].astype(np.int64)
    shifted = spans + 1  # -1 -> 0 so bincount works
    counts = np.stack([(shifted == k).sum(axis=1) for k in range(int(shifted.max()) + 1)], axis=1)  # (N, K+1)
    majority = counts.argmax(axis=1) - 1
    purity = counts.max(axis=1) / window
    majority[purity < min_purity] = UNLABELLED
    return majority.astype(np.int64)


def labelled_windows(
    recording: Recording, window: int, hop: int, *, rule: str = "majority", min_purity: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """The windows a recording gives, without cutting them: y (N,) int and starts (N,).

    Windows whose label the rule rejects are left out.
    """
    if len(recording.signals) < window:
        raise DataError(
            f"{recording.name}: {len(recording.signals)} samples "
            f"({recording.duration_s:.2f} s) is shorter than one window of {window} samples"
        )
    starts = window_starts(len(recording.signals), window, hop)
    y = window_labels(recording.labels, starts, window, rule, min_purity)
    keep = y != UNLABELLED
    return y[keep], starts[keep]
