"""What `har-track` replays: a simulator session, a recording of a dataset, or a CSV file.

Each returns a `Stream`: timestamps, raw samples in canonical units (which may contain NaN
or gaps: the tracker handles them, see `har.stream.tracker`), its channel names, optional
per-sample labels and ground-truth movements. A file is read by the same reader as the
`csv` dataset (`har.data.sources.csv_format`), with the same columns, units and renaming.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from har.config import compose, instantiate
from har.data import (
    DEFAULT_CHANNELS,
    DataError,
    Problems,
    SessionFormat,
    read_session,
    read_table,
    require_channels,
    simulate_session,
    simulate_workout,
)
from har.data import STRIKE_CLASSES as STRIKE_CLASSES
from har.data import random_strike_style as random_style
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
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    count: int | None = None  # how many movements, where known without their times

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) + 1 / self.rate_hz if len(self.t) else 0.0

    def select(self, channels: Sequence[str]) -> Stream:
        """The stream with only `channels`, in that order (a model's channels, from its bundle)."""
        require_channels(self.name, channels, self.channels)
        if tuple(channels) == self.channels:
            return self
        index = [self.channels.index(c) for c in channels]
        return Stream(**{**self.__dict__, "signals": self.signals[:, index], "channels": tuple(channels)})

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(t, samples) pieces of `size` samples, as a live sensor would hand them over."""
        for begin in range(0, len(self.t), size):
            yield self.t[begin : begin + size], self.signals[begin : begin + size]


def simulator(
    *,
    session_s: float = 120.0,
    seed: int = 100,
    subject: int = 1,
    rate_hz: float = 50.0,
    kind: str = "single",
) -> Stream:
    """A fresh `strikes_sim` session (seed 100+ by default: never one the model trained on);
    `kind=workout`: flurries, guard movements and glove-on (experiments/counting/README.md)."""
    if kind not in ("single", "workout"):
        raise DataError(f"stream.kind={kind!r}: expected single or workout")
    rng = np.random.default_rng([seed, subject])
    simulate = simulate_workout if kind == "workout" else simulate_session
    signals, labels, events = simulate(rng, duration_s=session_s, rate_hz=rate_hz, style=random_style(rng))
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
                channels=recordings.channels,
                count=recording.count,
            )
        )
    return out


def csv_file(
    *,
    path: str,
    channels: Sequence[str] | None = None,
    rate_hz: float | str = "auto",
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    annotations: str | None = None,
    count: int | None = None,
) -> Stream:
    """One session file in the `csv` format; NaN cells are kept as NaN (sensor dropouts).

    Args:
        channels: the channel columns to read (`har-track` fills in the bundle's channels).
        rate_hz: `auto`: found from the timestamps (as for datasets); a number: the rate to
            assume.
        columns, units: as `data.source.columns` and `data.source.units` of the `csv` data.
        annotations: an annotations.csv (session,start_s,end_s,label) with the true movements.
        count: how many movements the session holds, where only that is known (scored as a count).
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"{file}: no such file (stream.path)")
    fmt = SessionFormat.declare(
        channels=channels or DEFAULT_CHANNELS, units=units, columns=columns, key="stream"
    )
    problems = Problems()
    session = read_session(file, fmt, problems, allow_missing=True)
    truth = _annotations(Path(annotations), file.stem, problems) if annotations else []
    problems.check(file)
    if rate_hz == "auto":
        if len(session.t) < 2:
            raise DataError(f"{file}: one sample; the rate cannot be found (set stream.rate_hz)")
        rate_hz = session.rate_hz
    names = session.label_names
    labels = session.labels_as({n: i for i, n in enumerate(names)}) if names else None
    if not annotations and labels is not None:
        truth = segments_from_labels(labels, names, float(rate_hz), idle=())
    return Stream(
        name=str(file),
        t=session.t - session.t[0],
        signals=session.signals,
        rate_hz=float(rate_hz),
        class_names=names,
        labels=labels,
        truth=truth,
        channels=fmt.channels,
        count=_count(count),
    )


def _count(count: object) -> int | None:
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise DataError(f"stream.count={count!r}: expected a positive integer (how many movements)")
    return count


def _annotations(path: Path, session: str, problems: Problems) -> list[tuple[str, float, float]]:
    """The true movements of `session` in an annotations.csv."""
    if not path.is_file():
        problems.add(path, "no such file", "give stream.annotations=<an annotations.csv>")
        return []
    table = read_table(path, ["session", "start_s", "end_s", "label"], [], problems)
    if table is None:
        return []
    return [
        (str(r.label).strip(), float(r.start_s), float(r.end_s))
        for r in table.itertuples()
        if str(r.session).strip() == session
    ]
