"""`csv`: the user's own sessions: one CSV or Parquet file per session, or one file per sensor.

The documented format (docs/own-recordings.md, "Your own recordings in 5 minutes"):

    my_data/
      sessions.csv        session,subject[,split][,count]   one row per session (file stem)
      annotations.csv     session,start_s,end_s,label       optional labelled segments
      walk_01.csv         t,<data.channels>[,label]      t in s; accel in g; gyro in rad/s
      walk_02.parquet     same columns

Column names, units and the time unit can be those of the device (`columns:`, `units:`,
see `csv_format`). Each session keeps its own rate, found from its timestamps (the loader
then resamples to `data.rate_hz`, or with `auto` to the most common rate). A step longer
than `max_gap_periods` x the session's period splits it into separate recordings.

Devices that write a folder per session with one file per sensor declare the files with
`sensors:` (`sensor_files`: aligned on a common clock, resampled); sessions named by their
folders or files declare the names with `sessions:` (`session_names`: subject, label and
count parsed from the names, so `sessions.csv` is needed only to override them). Every
problem in the folder is reported at once; nothing is loaded until there is none.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from har.data.channels import DEFAULT_CHANNELS, units_of
from har.data.rates import MAX_GAP_PERIODS
from har.data.recording import DataError, Event, Recording, RecordingSet
from har.data.sources.csv_format import (
    Problems,
    Session,
    SessionFormat,
    describe_time,
    read_session,
)
from har.data.sources.sensor_files import declare_sensors, read_sensors
from har.data.sources.session_names import NamePattern, candidates, session_name
from har.data.sources.session_tables import (
    ANNOTATIONS_FILE,
    SESSIONS_FILE,
    read_annotations,
    read_sessions_file,
    session_entries,
    subject_splits,
)

SESSION_SUFFIXES = (".csv", ".parquet")
ON_SHORT = ("error", "skip")


class CsvFolderSource:
    """Sessions in a folder, in the documented format.

    Args:
        path: the folder.
        channels: the channel columns to read, in order (`data.channels`).
        units: the unit each column was recorded in, e.g. {ax: m/s^2, gx: deg/s, t: ms};
            default g, rad/s, uT and s. Converted on load.
        columns: the device's own column names -> har names, e.g. {accel_x: ax, time: t}.
        classes: ordered class names; labels outside it are an error. Default: every
            label found, sorted.
        max_gap_periods: a step longer than this many of the session's periods is a gap.
        on_short: a recording (a session, or a part between gaps) shorter than
            `min_duration_s`: `error` reports it, `skip` drops it and says so.
        min_duration_s: the shortest usable recording (the window length).
        sessions: a pattern naming the sessions, e.g. `{label}/{label} {count} {subject}_{stamp}`
            (`session_names`); None: sessions are the folder's files (or, with `sensors`, its
            sub-folders) and sessions.csv gives their subjects.
        sensors: {sensor: {file, columns, units[, channels]}} for sessions written as one file
            per sensor in a folder (`sensor_files`); None: one file holds every channel.
        rate_hz: the rate multi-file sessions are aligned at (`data.rate_hz`); auto: each
            session's fastest sensor.
    """

    def __init__(
        self,
        *,
        path: str,
        channels: Sequence[str] = DEFAULT_CHANNELS,
        units: Mapping[str, str] | None = None,
        columns: Mapping[str, str] | None = None,
        classes: Sequence[str] | None = None,
        max_gap_periods: float = MAX_GAP_PERIODS,
        on_short: str = "error",
        min_duration_s: float = 0.0,
        sessions: str | None = None,
        sensors: Mapping[str, Any] | None = None,
        rate_hz: float | str = "auto",
    ) -> None:
        if on_short not in ON_SHORT:
            raise DataError(f"data.source.on_short={on_short!r}: expected one of {', '.join(ON_SHORT)}")
        self.folder = Path(path)
        self.format = SessionFormat.declare(
            channels=channels, units=units, columns=columns, max_gap_periods=max_gap_periods
        )
        self.declared_units = {str(k): str(v) for k, v in dict(units or {}).items()}
        self.classes = [str(c) for c in classes] if classes else None
        self.on_short = on_short
        self.min_duration_s = float(min_duration_s)
        self.pattern = NamePattern.compile(sessions) if sessions else None
        self.sensor_spec = {str(k): dict(v or {}) for k, v in dict(sensors or {}).items()}
        self.sensors = (
            declare_sensors(self.sensor_spec, self.format.channels, self.format.max_gap_periods)
            if sensors
            else None
        )
        self.rate_hz = None if rate_hz in (None, "auto") else float(rate_hz)

    def _find_sessions(self, problems: Problems) -> dict[str, tuple[Path, dict[str, str]]]:
        """Session name -> (its file or folder, the fields its name gives)."""
        if not self.folder.is_dir():
            raise DataError(f"{self.folder}: not a folder (data.source.path)")
        depth, folders = (self.pattern.depth if self.pattern else 1), self.sensors is not None
        skip = {SESSIONS_FILE, ANNOTATIONS_FILE}
        paths = [
            p
            for p in candidates(self.folder, depth, folders=folders, suffixes=SESSION_SUFFIXES)
            if not (p.parent == self.folder and p.name in skip)
        ]
        if not paths:
            kind = "session folders" if folders else "session files (*.csv or *.parquet)"
            where = "in this folder" if depth == 1 else f"{depth} levels down (data.source.sessions)"
            raise DataError(f"{self.folder}: no {kind} {where}")
        found = {}
        for path in paths:
            name = session_name(self.folder, path, strip_suffix=not folders)
            fields = self.pattern.match(name) if self.pattern else {}
            if fields is None:
                problems.add(
                    path,
                    f"the name {name!r} does not match data.source.sessions={self.pattern.text!r}",
                    "rename it to the pattern, move it out of the folder, or correct the pattern",
                )
                continue
            found[name] = (path, fields)
        return found

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.folder.rglob("*")) if self.folder.is_dir() else []:
            if path.is_file():
                stat = path.stat()
                name = path.relative_to(self.folder).as_posix()
                digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        settings = [self.format.channels, dict(self.format.columns), self.declared_units, self.classes]
        settings += [self.format.max_gap_periods, self.on_short, self.min_duration_s]
        settings += [self.pattern.text if self.pattern else None, self.sensor_spec, self.rate_hz]
        digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
        return f"csv:{self.folder.resolve()}:{digest.hexdigest()}"

    def _read(self, path: Path, problems: Problems) -> tuple[Session | None, dict[str, Any]]:
        """One session: its file, or its sensors' files aligned (and their alignment report)."""
        if self.sensors is None:
            return read_session(path, self.format, problems), {}
        return read_sensors(path, self.sensors, self.format.channels, self.rate_hz, problems)

    def load(self) -> RecordingSet:
        """Every session of the folder as recordings; every problem at once as one DataError."""
        problems = Problems()
        found = self._find_sessions(problems)
        names = list(found)
        need_subject = self.pattern is None or "subject" not in self.pattern.fields
        table = read_sessions_file(self.folder / SESSIONS_FILE, names, problems, need_subject=need_subject)
        entries = session_entries(self.folder, found, table, problems)
        annotations = read_annotations(self.folder / ANNOTATIONS_FILE, set(names), problems)
        sessions, alignments = {}, {}
        for name, (path, _) in found.items():
            sessions[name], alignments[name] = self._read(path, problems)
        class_names = self.classes or sorted(
            {label for s in sessions.values() if s is not None for label in s.label_names}
            | {e.label for events in annotations.values() for e in events}
            | {entry["label"] for entry in entries.values() if entry["label"]}
        )
        if not class_names and not problems:
            problems.add(
                self.folder,
                f"no labels found (no `label` column, no {ANNOTATIONS_FILE}, no {{label}} in data.source.sessions)",
                f"add a label column or {ANNOTATIONS_FILE}, or name the label in data.source.sessions",
            )
        index = {label: i for i, label in enumerate(class_names)}
        recordings, reports, short = [], [], []
        for name in names:
            session, entry = sessions[name], entries.get(name)
            if session is None or entry is None:
                continue
            events = annotations.get(name, [])
            labels = _session_labels(session, events, index, problems, self.folder, entry["label"])
            if labels is None:
                continue
            parts, report = self._recordings(session, labels, entry, events, short)
            report["session"], report["file"] = name, name + ("/" if self.sensors else session.path.suffix)
            report["labels"] = _label_seconds(parts, class_names)
            if alignments[name]:
                report["sensors"] = alignments[name]
            recordings += parts
            reports.append(report)
        if short and self.on_short == "error":
            _report_short(short, problems)
        splits = subject_splits(self.folder / SESSIONS_FILE, entries, problems)
        problems.check(self.folder)
        return RecordingSet(
            recordings,
            class_names,
            source=f"csv:{self.folder}",
            channels=self.format.channels,
            units=units_of(self.format.channels, self.declared_units),
            sessions=reports,
            notes=self._notes(sessions, short),
            subject_splits=splits,
        )

    def _recordings(
        self,
        session: Session,
        labels: np.ndarray,
        entry: dict,
        events: list[Event],
        short: list[ShortRecording],
    ) -> tuple[list[Recording], dict[str, Any]]:
        """The session's gap-free parts on a uniform grid at its own rate, and its report."""
        rate, ranges = session.rate_hz, session.parts(self.format.max_gap_periods)
        steps = np.diff(session.t)
        gaps = [float(steps[lo - 1]) for lo, _ in ranges[1:]]
        recordings, dropped = [], []
        for number, (lo, hi) in enumerate(ranges):
            name = str(session.path)
            if len(ranges) > 1:
                name += f" (part {number + 1}, from {describe_time(session.t[lo], session.t[0])})"
            known = np.isfinite(rate)
            samples = (
                int(np.floor((session.t[hi - 1] - session.t[lo]) * rate + 1e-6)) + 1 if known else hi - lo
            )
            duration = samples / rate if known else 0.0
            if duration < self.min_duration_s - 1e-9:
                short.append(
                    ShortRecording(
                        session.path,
                        name,
                        lo + 2,
                        samples,
                        duration,
                        self.min_duration_s,
                        len(ranges) > 1,
                        self.format.max_gap_periods,
                    )
                )
                dropped.append(f"{name}: {samples} samples ({duration:.2f} s), shorter than one window")
                continue
            # a count belongs to the whole session: parts cut by gaps cannot share it out
            count = entry["count"] if len(ranges) == 1 else None
            recordings.append(
                self._on_grid(session, labels, lo, hi, samples, entry["subject"], events, name, count)
            )
        report = {
            "subject": entry["subject"],
            "count": entry["count"],
            "declared_split": entry["split"] or None,
            "rate_found_hz": round(session.rate_found, 3) if np.isfinite(session.rate_found) else None,
            "rate_hz": rate if np.isfinite(rate) else None,
            "samples": len(session.t),
            "duration_s": round(
                float(session.t[-1] - session.t[0]) + (1 / rate if np.isfinite(rate) else 0), 3
            ),
            "gaps": len(gaps),
            "longest_gap_s": round(max(gaps), 3) if gaps else 0.0,
            "recordings": len(recordings),
            "dropped": dropped
            + (
                [f"count {entry['count']} (the session is cut by gaps)"]
                if entry["count"] and len(ranges) > 1
                else []
            ),
        }
        return recordings, report

    def _on_grid(
        self,
        session: Session,
        labels: np.ndarray,
        lo: int,
        hi: int,
        samples: int,
        subject: str,
        events: list[Event],
        name: str,
        count: int | None = None,
    ) -> Recording:
        rate = session.rate_hz
        t_part = session.t[lo:hi] - session.t[lo]
        grid = np.arange(samples) / rate
        if len(t_part) == samples and np.allclose(t_part, grid, atol=1e-6 + 1e-3 / rate):
            signals, part_labels = session.signals[lo:hi], labels[lo:hi]
        else:
            signals = np.stack([np.interp(grid, t_part, c) for c in session.signals[lo:hi].T], axis=1)
            nearest = np.clip(np.searchsorted(t_part, grid), 0, len(t_part) - 1)
            part_labels = labels[lo:hi][nearest]
        offset = float(session.t[lo] - session.t[0])
        part_events = tuple(
            Event(e.label, e.start_s - offset, e.end_s - offset)
            for e in events
            if e.end_s > offset and e.start_s < offset + t_part[-1]
        )
        return Recording(
            signals=np.ascontiguousarray(signals, dtype=np.float32),
            labels=part_labels,
            rate_hz=rate,
            subject=subject,
            name=name,
            events=part_events,
            count=count,
        )

    def _notes(self, sessions: dict[str, Session | None], short: list[ShortRecording]) -> list[str]:
        notes = []
        ignored: dict[str, list[str]] = {}
        for session in sessions.values():
            for column in session.ignored_columns if session else []:
                ignored.setdefault(column, []).append(session.path.name)
        for column, files in ignored.items():
            notes.append(
                f"column {column} ignored in {len(files)} {'session(s)' if self.sensors else 'file(s)'} ({', '.join(files[:3])}{', ...' if len(files) > 3 else ''}): "
                "not t, label or a channel of data.channels"
            )
        if short and self.on_short == "skip":
            notes.append(
                f"data.source.on_short=skip dropped {len(short)} recording(s) shorter than one window:"
            )
            notes += ["  " + item.describe() for item in short]
        return notes


@dataclass(frozen=True)
class ShortRecording:
    """A session, or a part of one between gaps, shorter than one window."""

    path: Path
    name: str
    line: int
    samples: int
    duration_s: float
    window_s: float
    cut_by_gaps: bool
    max_gap_periods: float

    def describe(self) -> str:
        why = (
            f"; steps over {self.max_gap_periods:g} sample periods (gaps) cut the session"
            if self.cut_by_gaps
            else ""
        )
        return (
            f"{self.name}: line {self.line}: {self.samples} samples ({self.duration_s:.2f} s) is shorter than "
            f"one window ({self.window_s:g} s){why}"
        )


def _report_short(short: list[ShortRecording], problems: Problems) -> None:
    """One problem per short recording, then how many and the shortest."""
    for item in short:
        problems.lines.append(
            item.describe()
            + " (fix: data.source.on_short=skip drops such recordings; or a shorter data.window_s)"
        )
        problems.files.add(str(item.path))
    shortest = min(short, key=lambda item: item.duration_s)
    problems.footer.append(
        f"{len(short)} recording(s) in {len({i.path for i in short})} file(s) are shorter than one window; "
        f"the shortest: {shortest.name}, {shortest.duration_s:.2f} s"
    )


def _label_seconds(recordings: list[Recording], class_names: list[str]) -> dict[str, float]:
    """Seconds of each class over the kept recordings."""
    samples = np.zeros(len(class_names))
    for recording in recordings:
        labelled = recording.labels[recording.labels >= 0]
        samples += np.bincount(labelled, minlength=len(class_names)) / recording.rate_hz
    return {name: round(float(s), 2) for name, s in zip(class_names, samples) if s}


def _session_labels(
    session: Session,
    events: list[Event],
    index: dict[str, int],
    problems: Problems,
    folder: Path,
    session_label: str | None = None,
) -> np.ndarray | None:
    """Per-sample class indices from the label column, then the label the session's name gives
    (where the column left samples unlabelled), then the annotations on top."""
    before = len(problems.lines)
    for code, name in enumerate(session.label_names):
        if name not in index:
            rows = session.label_codes == code
            problems.add(
                session.path,
                f"unknown label {name!r} ({int(rows.sum())} rows; classes: {', '.join(index)})",
                "add it to data.source.classes or correct the label",
                line=int(np.argmax(rows)) + 2,
                column="label",
            )
    labels = session.labels_as(index)
    if session_label:
        if session_label not in index:
            problems.add(
                session.path,
                f"unknown label {session_label!r} in the name (classes: {', '.join(index)})",
                "add it to data.source.classes or rename the session",
            )
        else:
            labels[labels < 0] = index[session_label]
    relative = session.t - session.t[0]
    for event in events:
        if event.label not in index:
            problems.add(
                folder / ANNOTATIONS_FILE,
                f"session {session.path.stem}: unknown label {event.label!r} (classes: {', '.join(index)})",
                "add it to data.source.classes or correct the label",
            )
            continue
        labels[(relative >= event.start_s) & (relative < event.end_s)] = index[event.label]
    return labels if len(problems.lines) == before else None
