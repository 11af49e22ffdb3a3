"""The data contract: recordings and window sets, and the checks that guard them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from har.data.channels import DEFAULT_CHANNELS, units_of
from har.errors import UserError

UNLABELLED = -1


class DataError(UserError, ValueError):
    """Bad input data; the message names the file, row, column or key at fault."""


def require_channels(source: str, needed: Sequence[str], present: Sequence[str]) -> None:
    """Refuse `source` (a stream, a file) when it lacks a channel that a model needs."""
    absent = [c for c in needed if c not in present]
    if absent:
        raise DataError(
            f"{source}: the model needs channel(s) {', '.join(absent)}, the stream has {' '.join(present)}"
        )


@dataclass(frozen=True)
class Event:
    """One movement: a labelled span of time in seconds from the start of its recording."""

    label: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Recording:
    """One continuous session in canonical units, in its set's channel order.

    Attributes:
        signals: float32 (n_samples, C): acceleration in g, angular rate in rad/s.
        labels: int (n_samples,) class indices, -1 where unlabelled.
        rate_hz: sample rate.
        subject: subject id (strings, so ids from any source compare alike).
        name: where it came from, used in every error message about it.
        events: ground-truth movements, where the source has them.
        count: how many movements the session holds, where the source knows it but not their
            times (a set of 20 repetitions, a session of 10 jabs); None when unknown.
    """

    signals: np.ndarray
    labels: np.ndarray
    rate_hz: float
    subject: str
    name: str
    events: tuple[Event, ...] = field(default=())
    count: int | None = None

    def __post_init__(self) -> None:
        validate_recording(self)

    @property
    def duration_s(self) -> float:
        return len(self.signals) / self.rate_hz


def validate_recording(recording: Recording) -> None:
    """Raise DataError naming the recording if it breaks the data contract."""
    name = recording.name
    signals = recording.signals
    if signals.ndim != 2:
        raise DataError(f"{name}: signals have shape {signals.shape}, expected (n_samples, channels)")
    if signals.dtype != np.float32:
        raise DataError(f"{name}: signals are {signals.dtype}, expected float32")
    bad = ~np.isfinite(signals)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise DataError(
            f"{name}: row {row}, channel {column}: value {signals[row, column]} is not "
            f"finite ({int(bad.any(axis=1).sum())} rows affected)"
        )
    if recording.labels.shape != (len(signals),):
        raise DataError(f"{name}: {recording.labels.shape[0]} labels for {len(signals)} samples")
    if not np.issubdtype(recording.labels.dtype, np.integer):
        raise DataError(f"{name}: labels are {recording.labels.dtype}, expected integers")
    if recording.rate_hz <= 0:
        raise DataError(f"{name}: rate_hz must be positive, got {recording.rate_hz}")
    count = recording.count
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise DataError(f"{name}: count {count!r} is not a positive integer")


@dataclass(frozen=True)
class RecordingSet:
    """What a source returns: recordings plus the ordered class names their labels index.

    Attributes:
        channels: the signals' column names (`har.data.channels`).
        units: each channel's unit (default: the canonical units of the channels).
        sessions: one report per source session (file, subject, rate found, duration, gaps,
            labels, what was dropped); default: one per recording.
        notes: what the user should know about the load (skipped parts, ignored columns).
        subject_splits: splits declared by the source (subject -> train, val or test).
    """

    recordings: list[Recording]
    class_names: list[str]
    source: str
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    units: dict[str, str] = field(default_factory=dict)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subject_splits: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.recordings:
            raise DataError(f"{self.source}: no recordings")
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "units", {**units_of(self.channels), **self.units})
        if not self.sessions:
            object.__setattr__(
                self, "sessions", [session_report(r, self.class_names) for r in self.recordings]
            )
        for recording in self.recordings:
            if recording.signals.shape[1] != len(self.channels):
                raise DataError(
                    f"{recording.name}: signals have {recording.signals.shape[1]} columns, expected "
                    f"{len(self.channels)} ({', '.join(self.channels)})"
                )
            labels = recording.labels
            if labels.size and (labels.max() >= len(self.class_names) or labels.min() < UNLABELLED):
                raise DataError(f"{recording.name}: label index outside 0..{len(self.class_names) - 1}")


def session_report(recording: Recording, class_names: list[str]) -> dict[str, Any]:
    """What `har-data` prints about a session that is one gap-free recording."""
    counts = np.bincount(recording.labels[recording.labels >= 0], minlength=len(class_names))
    return {
        "session": recording.name,
        "subject": recording.subject,
        "rate_found_hz": recording.rate_hz,
        "duration_s": round(recording.duration_s, 3),
        "gaps": 0,
        "labels": {name: round(int(n) / recording.rate_hz, 2) for name, n in zip(class_names, counts) if n},
        "dropped": [],
    }


@dataclass(frozen=True)
class WindowSet:
    """Windows of one split: X (N, T, C) float32, y (N,) int, groups (N,) subject ids."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def sha256(self) -> str:
        """A digest of the windows, labels and subjects: equal digests, equal windows."""
        digest = hashlib.sha256()
        for array in (self.X, self.y, self.groups.astype(str)):
            digest.update(str((array.dtype.str, array.shape)).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def subset(self, mask: np.ndarray) -> WindowSet:
        return WindowSet(self.X[mask], self.y[mask], self.groups[mask])

    def concatenate(self, other: WindowSet) -> WindowSet:
        return WindowSet(
            np.concatenate([self.X, other.X]),
            np.concatenate([self.y, other.y]),
            np.concatenate([self.groups.astype(object), other.groups.astype(object)]).astype(str),
        )
