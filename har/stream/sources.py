"""What `har-track` replays: a simulator session, a recording of a dataset, or a CSV file.

Each returns a `Stream`: timestamps, raw samples in canonical units (which may contain NaN
or gaps: the tracker handles them, see `har.stream.tracker`), optional per-sample labels and
ground-truth movements.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from har.config import compose, instantiate
from har.data.recording import CHANNELS, DataError
from har.data.sources.strikes_sim import CLASS_NAMES as STRIKE_CLASSES
from har.data.sources.strikes_sim import random_style, simulate_session
from har.stream.events import segments_from_labels


@dataclass
class Stream:
    name: str
    t: np.ndarray  # (n,) seconds
    signals: np.ndarray  # (n, C) float32, g and rad/s
    rate_hz: float
    class_names: list[str]
    labels: np.ndarray | None = None  # (n,) class indices, -1 unlabelled
    truth: list[tuple[str, float, float]] = field(default_factory=list)  # (label, start_s, end_s)

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) + 1 / self.rate_hz if len(self.t) else 0.0

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(t, samples) pieces of `size` samples, as a live sensor would hand them over."""
        for begin in range(0, len(self.t), size):
            yield self.t[begin : begin + size], self.signals[begin : begin + size]


def simulator(
    *, session_s: float = 120.0, seed: int = 100, subject: int = 1, rate_hz: float = 50.0
) -> Stream:
    """A fresh `strikes_sim` session (seed 100+ by default: never one the model trained on)."""
    rng = np.random.default_rng([seed, subject])
    signals, labels, events = simulate_session(
        rng, duration_s=session_s, rate_hz=rate_hz, style=random_style(rng)
    )
    return Stream(
        name=f"strikes_sim seed {seed} subject {subject}",
        t=np.arange(len(signals)) / rate_hz,
        signals=signals,
        rate_hz=rate_hz,
        class_names=list(STRIKE_CLASSES),
        labels=labels,
        truth=[(e.label, e.start_s, e.end_s) for e in events],
    )


def dataset_recording(
    *,
    data: str,
    subject: str | int,
    session: int = 0,
    cache_dir: str | None = None,
    overrides: list[str] | tuple[str, ...] = (),
) -> Stream:
    """Session number `session` of `subject` in dataset `data` (a conf/data name), at its rate.

    `overrides` go to the data config (e.g. `data.source.include_transitions=true`)."""
    streams = dataset_streams(data=data, subjects=[subject], cache_dir=cache_dir, overrides=overrides)
    if not streams:
        raise DataError(f"stream.subject={subject}: no recording of that subject in {data}")
    if not 0 <= session < len(streams):
        raise DataError(
            f"stream.session={session}: subject {subject} has {len(streams)} session(s) in {data}"
        )
    return streams[session]


def dataset_streams(
    *,
    data: str,
    subjects: list[str | int],
    cache_dir: str | None = None,
    overrides: list[str] | tuple[str, ...] = (),
) -> list[Stream]:
    """Every session of `subjects` in dataset `data`, in the dataset's order (one load)."""
    extra = ["paths.output_dir=unused"] + ([f"paths.cache_dir={cache_dir}"] if cache_dir else [])
    cfg = compose("train", [f"data={data}", *extra, *overrides])
    recordings = instantiate(cfg.data.source, "data.source").load()
    wanted = {str(s) for s in subjects}
    out = []
    for recording in recordings.recordings:
        if recording.subject not in wanted:
            continue
        truth = [(e.label, e.start_s, e.end_s) for e in recording.events] or segments_from_labels(
            recording.labels, recordings.class_names, recording.rate_hz, idle=()
        )
        out.append(
            Stream(
                name=recording.name,
                t=np.arange(len(recording.signals)) / recording.rate_hz,
                signals=recording.signals,
                rate_hz=recording.rate_hz,
                class_names=recordings.class_names,
                labels=recording.labels,
                truth=truth,
            )
        )
    return out


def csv_file(*, path: str, rate_hz: float, annotations: str | None = None) -> Stream:
    """One session file in the `csv` format (t, ax..gz[, label]); NaN cells are kept as NaN."""
    file = Path(path)
    if not file.is_file():
        raise DataError(f"{file}: no such file (stream.path)")
    frame = pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    missing = [c for c in ("t", *CHANNELS) if c not in frame.columns]
    if missing:
        raise DataError(f"{file}: missing column(s) {', '.join(missing)}")
    t = pd.to_numeric(frame["t"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(t).all():
        raise DataError(f"{file}: line {int(np.argmax(~np.isfinite(t))) + 2}: timestamp is not a number")
    back = np.flatnonzero(np.diff(t) <= 0)
    if len(back):
        raise DataError(f"{file}: line {back[0] + 3}: timestamp t={t[back[0] + 1]} does not increase")
    signals = np.stack(
        [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float32) for c in CHANNELS], axis=1
    )
    names = sorted({str(v) for v in frame["label"].dropna()}) if "label" in frame else []
    labels = None
    if names:
        index = {n: i for i, n in enumerate(names)}
        labels = np.array(
            [index.get(str(v), -1) if isinstance(v, str) else -1 for v in frame["label"]], dtype=np.int64
        )
    truth = []
    if annotations:
        table = pd.read_csv(annotations)
        truth = [
            (str(r.label), float(r.start_s), float(r.end_s))
            for r in table.itertuples()
            if str(r.session) == file.stem
        ]
    elif labels is not None:
        truth = segments_from_labels(labels, names, rate_hz, idle=())
    return Stream(
        name=str(file),
        t=t - t[0],
        signals=signals,
        rate_hz=rate_hz,
        class_names=names,
        labels=labels,
        truth=truth,
    )
