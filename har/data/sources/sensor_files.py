"""Sessions written as devices write them: one file per sensor, each with its own clock.

A MetaMotion export, or a phone app such as Sensor Logger, writes a folder per session with
one csv per sensor (`..._Accelerometer_....csv`, `Gyroscope.csv`), each with its own time
column, units and rate. `data.source.sensors` declares, once, which file holds which channels:

    sensors:
      accelerometer: {file: "*Accelerometer*.csv", columns: {"epoch (ms)": t, ...}, units: {t: ms}}
      gyroscope:     {file: "*Gyroscope*.csv", columns: {...}, units: {t: ms, gx: deg/s, ...}}

Each file is read by the one csv reader (`csv_format.read_session`: checks, units), then the
sensors are aligned on a common clock over the span every sensor covers and resampled
(linear interpolation) to one grid at the session's rate: `data.rate_hz`, or with `auto` the
fastest sensor's rate. A gap in any sensor is a gap of the session (the grid is cut there,
and the parts become separate recordings, as for single-file sessions).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from har.data.rates import gap_cuts, nominal_rate
from har.data.recording import DataError
from har.data.sources.csv_format import Problems, Session, SessionFormat, describe_time, read_session

# A sensor sampled at less than this share of the session's rate is refused: interpolating it up
# would invent most of its samples (a 12.5 Hz gyroscope on a 50 Hz grid).
MIN_RATE_SHARE = 0.5
SENSOR_KEYS = ("file", "columns", "units", "channels")


@dataclass(frozen=True)
class SensorFile:
    """One sensor of a session: the file pattern that holds it and how to read that file."""

    name: str
    file: str  # a glob inside the session folder
    format: SessionFormat

    @property
    def channels(self) -> tuple[str, ...]:
        return self.format.channels


def declare_sensors(
    sensors: Mapping[str, Any],
    channels: Sequence[str],
    max_gap_periods: float,
    key: str = "data.source.sensors",
) -> list[SensorFile]:
    """The sensors that hold `channels` (data.channels); every channel from exactly one sensor.

    A sensor's channels are its `channels:` list, else the har names its `columns:` rename to
    that `data.channels` uses; a sensor holding none of them is not read (accelerometer-only runs
    need no gyroscope file).
    """
    declared, source_of = [], {}
    for name, spec in dict(sensors).items():
        spec = dict(spec or {})
        unknown = [k for k in spec if k not in SENSOR_KEYS]
        if unknown or not spec.get("file"):
            raise DataError(
                f"{key}.{name}: "
                + (f"unknown key(s) {', '.join(map(str, unknown))}; " if unknown else "no file; ")
                + f"a sensor takes {', '.join(SENSOR_KEYS)} (file: a pattern such as '*Gyroscope*.csv')"
            )
        columns = {str(k): str(v) for k, v in dict(spec.get("columns") or {}).items()}
        listed = [str(c) for c in spec.get("channels") or columns.values()]
        own = [c for c in channels if c in listed]
        if not own:
            continue
        for channel in own:
            if channel in source_of:
                raise DataError(f"{key}: channel {channel} comes from both {source_of[channel]} and {name}")
            source_of[channel] = name
        units = {k: v for k, v in dict(spec.get("units") or {}).items() if k == "t" or k in own}
        fmt = SessionFormat.declare(
            channels=own, units=units, columns=columns, max_gap_periods=max_gap_periods, key=f"{key}.{name}"
        )
        declared.append(SensorFile(str(name), str(spec["file"]), fmt))
    missing = [c for c in channels if c not in source_of]
    if missing:
        raise DataError(
            f"{key}: no sensor holds channel(s) {', '.join(missing)} of data.channels; "
            "add them to a sensor's columns (or channels), or leave them out of data.channels"
        )
    return declared


def sensor_file(folder: Path, sensor: SensorFile, problems: Problems) -> Path | None:
    """The one file of `folder` that matches the sensor's pattern (a problem if none or several)."""
    found = sorted(p for p in folder.iterdir() if p.is_file() and fnmatch.fnmatch(p.name, sensor.file))
    if len(found) == 1:
        return found[0]
    if not found:
        names = ", ".join(sorted(p.name for p in folder.iterdir() if p.is_file())[:6]) or "no files"
        problems.add(
            folder,
            f"no {sensor.name} file (pattern {sensor.file!r}; the folder has {names})",
            f"add the session's {sensor.name} file, remove the folder, or correct data.source.sensors.{sensor.name}.file",
        )
    else:
        problems.add(
            folder,
            f"{len(found)} files match the {sensor.name} pattern {sensor.file!r} ({', '.join(p.name for p in found)})",
            f"make data.source.sensors.{sensor.name}.file match one file per session",
        )
    return None


def read_sensors(
    folder: Path,
    sensors: list[SensorFile],
    channels: Sequence[str],
    rate_hz: float | None,
    problems: Problems,
) -> tuple[Session | None, dict[str, dict[str, Any]]]:
    """Read and align one session's sensor files into one Session on a uniform grid.

    Args:
        channels: the merged session's channel order (data.channels).
        rate_hz: the grid's rate; None: the fastest sensor's (nominal) rate.

    Returns:
        the merged session (t: the grid's times on the clock of the files, gaps left out) or None
        when the session has a problem; and the alignment report per sensor (file, rate found,
        offset of its first sample from the session's first, seconds it covers).
    """
    read = []
    for sensor in sensors:
        path = sensor_file(folder, sensor, problems)
        session = read_session(path, sensor.format, problems) if path is not None else None
        if session is not None and len(session.t) < 2:
            problems.add(path, "fewer than two samples: no rate to align on", "export the session again")
            session = None
        read.append((sensor, session))
    if any(session is None for _, session in read):
        return None, {}
    first = min(session.t[0] for _, session in read)
    start, end = max(s.t[0] for _, s in read), min(s.t[-1] for _, s in read)
    report = {
        sensor.name: {
            "file": session.path.name,
            "rate_found_hz": round(_mean_rate(session, sensor), 3),
            "offset_s": round(float(session.t[0] - first), 3),
            "covers_s": round(float(session.t[-1] - session.t[0]), 3),
            "overlap_s": round(float(max(end - start, 0.0)), 3),
        }
        for sensor, session in read
    }
    rate = _session_rate(folder, read, first, (start, end), rate_hz, problems)
    if rate is None:
        return None, report
    return _on_common_grid(folder, read, channels, (start, end), rate), report


def _session_rate(
    folder: Path,
    read: list[tuple[SensorFile, Session]],
    first: float,
    span: tuple[float, float],
    rate_hz: float | None,
    problems: Problems,
) -> float | None:
    """The rate to align at; None (and the problems added) when the clocks do not overlap or a
    sensor is far slower than it."""
    start, end = span
    if end <= start:
        spans = "; ".join(
            f"{sensor.name} {describe_time(s.t[0], first)} to {describe_time(s.t[-1], first).removeprefix('t=')}"
            for sensor, s in read
        )
        problems.add(
            folder,
            f"the sensors' clocks do not overlap ({spans})",
            "check that the files belong to one session and that each sensor's time unit (units: {t: ...}) is right",
        )
        return None
    rates = {sensor.name: _mean_rate(s, sensor) for sensor, s in read}
    rate = rate_hz or max(nominal_rate(r) for r in rates.values())
    slow = [(sensor, s) for sensor, s in read if rates[sensor.name] < MIN_RATE_SHARE * rate]
    for sensor, s in slow:
        problems.add(
            s.path,
            f"{sensor.name} samples at {rates[sensor.name]:.3g} Hz, far below the session's rate {rate:g} Hz "
            f"(under {MIN_RATE_SHARE:g}x): resampling would invent most of its samples",
            f"set data.rate_hz={nominal_rate(rates[sensor.name]):g} or lower, or record the {sensor.name} faster",
        )
    return None if slow else rate


def _on_common_grid(
    folder: Path,
    read: list[tuple[SensorFile, Session]],
    channels: Sequence[str],
    span: tuple[float, float],
    rate: float,
) -> Session:
    """Every sensor interpolated onto one grid over `span`; grid points inside any sensor's gap
    are left out (no sample to interpolate from), so the session is cut there."""
    start, end = span
    grid = start + np.arange(int(np.floor((end - start) * rate + 1e-6)) + 1) / rate  # (n,)
    signals = np.empty((len(grid), len(channels)), dtype=np.float32)  # (n, C)
    inside_gap = np.zeros(len(grid), dtype=bool)
    for sensor, session in read:
        for index, channel in enumerate(sensor.channels):
            signals[:, list(channels).index(channel)] = np.interp(grid, session.t, session.signals[:, index])
        for cut in gap_cuts(session.t, session.period, sensor.format.max_gap_periods):
            inside_gap |= (grid > session.t[cut - 1]) & (grid < session.t[cut])
    keep = ~inside_gap
    return Session(
        path=folder,
        t=grid[keep],
        signals=signals[keep],
        label_codes=np.full(int(keep.sum()), -1, dtype=np.int32),
        label_names=[],
        ignored_columns=list(dict.fromkeys(c for _, s in read for c in s.ignored_columns)),
    )


def _mean_rate(session: Session, sensor: SensorFile) -> float:
    """Samples per second between gaps: the mean step, which a jittery clock (a phone's) does not
    move as it moves the median step."""
    steps = np.diff(session.t)
    normal = steps[steps <= sensor.format.max_gap_periods * session.period]
    return 1.0 / float(np.mean(normal))
