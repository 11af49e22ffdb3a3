"""The data contract: recordings and window sets, and the checks that guard them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from har.errors import UserError

CHANNELS: tuple[str, ...] = ("ax", "ay", "az", "gx", "gy", "gz")
UNITS: dict[str, str] = {"ax": "g", "ay": "g", "az": "g", "gx": "rad/s", "gy": "rad/s", "gz": "rad/s"}
UNLABELLED = -1


class DataError(UserError, ValueError):
    """Bad input data; the message names the file, row, column or key at fault."""


@dataclass(frozen=True)
class Event:
    """One movement: a labelled span of time in seconds from the start of its recording."""

    label: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Recording:
    """One continuous session in canonical units and channel order.

    Attributes:
        signals: float32 (n_samples, 6), ax ay az in g, gx gy gz in rad/s.
        labels: int (n_samples,) class indices, -1 where unlabelled.
        rate_hz: sample rate.
        subject: subject id (strings, so ids from any source compare alike).
        name: where it came from, used in every error message about it.
        events: ground-truth movements, where the source has them.
    """

    signals: np.ndarray
    labels: np.ndarray
    rate_hz: float
    subject: str
    name: str
    events: tuple[Event, ...] = field(default=())

    def __post_init__(self) -> None:
        validate_recording(self)

    @property
    def duration_s(self) -> float:
        return len(self.signals) / self.rate_hz


def validate_recording(recording: Recording) -> None:
    """Raise DataError naming the recording if it breaks the data contract."""
    name = recording.name
    signals = recording.signals
    if signals.ndim != 2 or signals.shape[1] != len(CHANNELS):
        raise DataError(
            f"{name}: signals have shape {signals.shape}, expected (n_samples, {len(CHANNELS)}) "
            f"in channel order {', '.join(CHANNELS)}"
        )
    if signals.dtype != np.float32:
        raise DataError(f"{name}: signals are {signals.dtype}, expected float32")
    bad = ~np.isfinite(signals)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise DataError(
            f"{name}: row {row}, column {CHANNELS[column]}: value {signals[row, column]} is not "
            f"finite ({int(bad.any(axis=1).sum())} rows affected)"
        )
    if recording.labels.shape != (len(signals),):
        raise DataError(f"{name}: {recording.labels.shape[0]} labels for {len(signals)} samples")
    if not np.issubdtype(recording.labels.dtype, np.integer):
        raise DataError(f"{name}: labels are {recording.labels.dtype}, expected integers")
    if recording.rate_hz <= 0:
        raise DataError(f"{name}: rate_hz must be positive, got {recording.rate_hz}")


@dataclass(frozen=True)
class RecordingSet:
    """What a source returns: recordings plus the ordered class names their labels index."""

    recordings: list[Recording]
    class_names: list[str]
    source: str

    def __post_init__(self) -> None:
        if not self.recordings:
            raise DataError(f"{self.source}: no recordings")
        for recording in self.recordings:
            labels = recording.labels
            if labels.size and (labels.max() >= len(self.class_names) or labels.min() < UNLABELLED):
                raise DataError(f"{recording.name}: label index outside 0..{len(self.class_names) - 1}")


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
