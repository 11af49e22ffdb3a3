"""`csv`: the user's own sessions, one CSV or Parquet file per session.

The documented format (README, "Bring your own data"):

    my_data/
      sessions.csv        session,subject          one row per session file (file stem)
      annotations.csv     session,start_s,end_s,label    optional labelled segments
      walk_01.csv         t,ax,ay,az,gx,gy,gz[,label]    t in s; accel in g; gyro in rad/s
      walk_02.parquet     same columns

Per-sample `label` values are class names (empty = unlabelled); annotations are applied on
top of them. Timestamps must increase strictly; a gap longer than `max_gap_s` splits a
session into separate recordings rather than being interpolated over.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from har.data.recording import CHANNELS, UNLABELLED, DataError, Event, Recording, RecordingSet

SESSION_SUFFIXES = (".csv", ".parquet")
SIGNAL_COLUMNS = ["t", *CHANNELS]
SESSIONS_FILE = "sessions.csv"
ANNOTATIONS_FILE = "annotations.csv"
FLOAT32_MAX = float(np.finfo(np.float32).max)  # a larger sample would become inf


class CsvFolderSource:
    """Sessions in a folder, in the documented format.

    Args:
        path: the folder.
        rate_hz: the rate recordings are put on (uniform grid from the first timestamp).
        classes: ordered class names; labels outside it are an error. Default: every
            label found, sorted.
        max_gap_s: a larger step between timestamps splits the session.
    """

    def __init__(
        self,
        *,
        path: str,
        rate_hz: float,
        classes: list[str] | None = None,
        max_gap_s: float = 0.1,
    ) -> None:
        self.folder = Path(path)
        self.rate_hz = float(rate_hz)
        self.classes = list(classes) if classes else None
        self.max_gap_s = max_gap_s

    def _session_files(self) -> list[Path]:
        if not self.folder.is_dir():
            raise DataError(f"{self.folder}: not a folder (data.source.path)")
        skip = {SESSIONS_FILE, ANNOTATIONS_FILE}
        files = sorted(
            p for p in self.folder.iterdir() if p.suffix in SESSION_SUFFIXES and p.name not in skip
        )
        if not files:
            raise DataError(f"{self.folder}: no session files (*.csv or *.parquet) in this folder")
        return files

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.folder.iterdir()) if self.folder.is_dir() else []:
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return f"csv:{self.folder.resolve()}:{digest.hexdigest()}"

    def load(self) -> RecordingSet:
        files = self._session_files()
        subjects = _read_sessions_file(self.folder / SESSIONS_FILE, [p.stem for p in files])
        annotations = _read_annotations(self.folder / ANNOTATIONS_FILE, {p.stem for p in files})
        tables = {p.stem: _read_session(p) for p in files}
        class_names = self.classes or sorted(
            {label for t in tables.values() for label in t["label"] if label}
            | {a.label for events in annotations.values() for a in events}
        )
        if not class_names:
            raise DataError(f"{self.folder}: no labels found (no `label` column and no {ANNOTATIONS_FILE})")
        index = {name: i for i, name in enumerate(class_names)}
        recordings: list[Recording] = []
        for path in files:
            stem = path.stem
            table = tables[stem]
            labels = _label_indices(table["label"], index, path)
            events = tuple(annotations.get(stem, ()))
            for event in events:
                if event.label not in index:
                    raise DataError(
                        f"{self.folder / ANNOTATIONS_FILE}: session {stem}: unknown label "
                        f"{event.label!r} (classes: {', '.join(class_names)})"
                    )
                inside = (table["t"] - table["t"][0] >= event.start_s) & (
                    table["t"] - table["t"][0] < event.end_s
                )
                labels[inside] = index[event.label]
            recordings.extend(
                _uniform_parts(path, table, labels, subjects[stem], events, self.rate_hz, self.max_gap_s)
            )
        return RecordingSet(recordings, class_names, source=f"csv:{self.folder}")


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path}: empty file")
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        with open(path, "rb") as stream:
            if b"\x00" in stream.read(1 << 16):
                raise DataError(f"{path}: not a text CSV file (it contains NUL bytes)")
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except DataError:
        raise
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file (cannot decode it as UTF-8)") from None
    except Exception as error:  # pandas and pyarrow raise many types for unreadable files
        raise DataError(f"{path}: cannot be read as {path.suffix[1:].upper()}: {error}") from None


def _check_columns(path: Path, found: list[str], required: list[str], optional: list[str]) -> None:
    missing = [c for c in required if c not in found]
    extra = [c for c in found if c not in required and c not in optional]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(map(str, extra))}")
        raise DataError(f"{path}: {'; '.join(parts)} (expected {', '.join(required + optional)})")


def _numeric(path: Path, frame: pd.DataFrame, column: str, *, limit: float = np.inf) -> np.ndarray:
    """The column as float64; a non-number, NaN, inf or a value beyond `limit` is an error."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    what = "is not a finite number"
    if not bad.any():
        bad = np.abs(values) > limit
        what = f"is beyond {limit:.3g}, the float32 range signals are stored in"
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{path}: line {row + 2}, column {column}: {frame[column].iloc[row]!r} {what} "
            f"({int(bad.sum())} such values in this column)"
        )
    return values


def _read_session(path: Path) -> dict[str, np.ndarray]:
    frame = _read_table(path)
    _check_columns(path, list(frame.columns), SIGNAL_COLUMNS, ["label"])
    if len(frame) == 0:
        raise DataError(f"{path}: no rows")
    table = {"t": _numeric(path, frame, "t")}
    table.update({c: _numeric(path, frame, c, limit=FLOAT32_MAX) for c in CHANNELS})
    step = np.diff(table["t"])
    if (step <= 0).any():
        row = int(np.argmax(step <= 0)) + 1
        kind = "repeats" if step[row - 1] == 0 else "goes back from"
        raise DataError(
            f"{path}: line {row + 2}: timestamp t={table['t'][row]} {kind} the previous one "
            f"({table['t'][row - 1]}); timestamps must increase strictly"
        )
    if "label" in frame:
        labels = frame["label"].astype(object).where(frame["label"].notna(), "")
        table["label"] = np.array([str(v).strip() for v in labels], dtype=object)
    else:
        table["label"] = np.full(len(frame), "", dtype=object)
    return table


def _read_sessions_file(path: Path, stems: list[str]) -> dict[str, str]:
    if not path.is_file():
        raise DataError(
            f"{path}: missing; it maps each session file to its subject (columns session,subject), "
            "so that splits can be made by subject"
        )
    frame = _read_table(path)
    _check_columns(path, list(frame.columns), ["session", "subject"], [])
    subjects: dict[str, str] = {}
    for row, (session, subject) in enumerate(zip(frame["session"], frame["subject"])):
        session, subject = str(session).strip(), str(subject).strip()
        if not session or not subject:
            raise DataError(f"{path}: line {row + 2}: empty session or subject")
        if session in subjects:
            raise DataError(f"{path}: line {row + 2}: session {session!r} listed twice")
        subjects[session] = subject
    missing = [s for s in stems if s not in subjects]
    if missing:
        raise DataError(f"{path}: no subject for session(s) {', '.join(missing)}")
    return subjects


def _read_annotations(path: Path, stems: set[str]) -> dict[str, list[Event]]:
    if not path.is_file():
        return {}
    frame = _read_table(path)
    _check_columns(path, list(frame.columns), ["session", "start_s", "end_s", "label"], [])
    start = _numeric(path, frame, "start_s")
    end = _numeric(path, frame, "end_s")
    events: dict[str, list[Event]] = {}
    for row, session in enumerate(frame["session"]):
        session = str(session).strip()
        if session not in stems:
            raise DataError(f"{path}: line {row + 2}: unknown session {session!r}")
        if end[row] <= start[row]:
            raise DataError(f"{path}: line {row + 2}: end_s {end[row]} is not after start_s {start[row]}")
        label = str(frame["label"].iloc[row]).strip()
        events.setdefault(session, []).append(Event(label, float(start[row]), float(end[row])))
    return events


def _label_indices(labels: np.ndarray, index: dict[str, int], path: Path) -> np.ndarray:
    out = np.full(len(labels), UNLABELLED, dtype=np.int64)
    for row, label in enumerate(labels):
        if not label:
            continue
        if label not in index:
            raise DataError(
                f"{path}: line {row + 2}, column label: unknown label {label!r} (classes: {', '.join(index)})"
            )
        out[row] = index[label]
    return out


def _uniform_parts(
    path: Path,
    table: dict[str, np.ndarray],
    labels: np.ndarray,
    subject: str,
    events: tuple[Event, ...],
    rate_hz: float,
    max_gap_s: float,
) -> list[Recording]:
    """Put a session on a uniform `rate_hz` grid, one recording per gap-free part."""
    t = table["t"]
    signals = np.stack([table[c] for c in CHANNELS], axis=1)  # (n, 6)
    cuts = np.flatnonzero(np.diff(t) > max_gap_s) + 1
    bounds = [0, *cuts.tolist(), len(t)]
    parts = []
    for number, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        t_part = t[lo:hi] - t[lo]
        n_out = int(np.floor(t_part[-1] * rate_hz + 1e-6)) + 1
        grid = np.arange(n_out) / rate_hz
        if len(t_part) == n_out and np.allclose(t_part, grid, atol=1e-6):
            uniform = signals[lo:hi]
            part_labels = labels[lo:hi]
        else:
            uniform = np.stack([np.interp(grid, t_part, ch) for ch in signals[lo:hi].T], axis=1)
            nearest = np.clip(np.searchsorted(t_part, grid), 0, len(t_part) - 1)
            part_labels = labels[lo:hi][nearest]
        offset = t[lo] - t[0]
        part_events = tuple(
            Event(e.label, e.start_s - offset, e.end_s - offset)
            for e in events
            if e.end_s > offset and e.start_s < offset + t_part[-1]
        )
        name = str(path) if len(bounds) == 2 else f"{path} (part {number + 1}, from t={t[lo]:g})"
        parts.append(
            Recording(
                signals=uniform.astype(np.float32),
                labels=part_labels,
                rate_hz=rate_hz,
                subject=subject,
                name=name,
                events=part_events,
            )
        )
    return parts


def write_csv_folder(recordings: RecordingSet, folder: str | Path, *, parquet: bool = False) -> Path:
    """Write recordings in the documented format (used for examples and round-trip tests)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    annotations = []
    for number, recording in enumerate(recordings.recordings):
        stem = f"session_{number:03d}"
        t = np.arange(len(recording.signals)) / recording.rate_hz
        frame = pd.DataFrame(recording.signals.astype(np.float64), columns=list(CHANNELS))
        frame.insert(0, "t", t)
        frame["label"] = [recordings.class_names[i] if i >= 0 else "" for i in recording.labels]
        if parquet:
            frame.to_parquet(folder / f"{stem}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{stem}.csv", index=False, float_format="%.9g")
        rows.append({"session": stem, "subject": recording.subject})
        annotations += [
            {"session": stem, "start_s": e.start_s, "end_s": e.end_s, "label": e.label}
            for e in recording.events
        ]
    pd.DataFrame(rows).to_csv(folder / SESSIONS_FILE, index=False)
    if annotations:
        pd.DataFrame(annotations).to_csv(folder / ANNOTATIONS_FILE, index=False)
    return folder
