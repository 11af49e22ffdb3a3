"""The csv session format and its one reader, for datasets (`csv_folder`) and streams (`har-track`).

A session file (CSV or Parquet) has a time column `t` and one column per declared channel
(`data.channels`), plus an optional `label` column of class names (empty = unlabelled).
A device's own column names are renamed with `columns:` ({its name: har name}); units are
declared per column with `units:` ({ax: m/s^2, gx: deg/s, t: ms}) and converted on load to
g, rad/s, uT and seconds (`har.data.channels`). Columns that are neither `t`, a declared
channel nor `label` are ignored (and said so).

The reader never stops at the first problem: every problem of a file is added to a
`Problems` list (file, line, column, what, how to fix), and the caller reports them all at
once. Large files are parsed with typed columns; only a file with a problem is read again as
text, to quote the offending cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from har.data.channels import DEFAULT_CHANNELS, check_channels, conversion_factor, time_factor
from har.data.rates import MAX_GAP_PERIODS, check_max_gap_periods, gap_cuts, median_period, nominal_rate
from har.data.recording import DataError

FLOAT32_MAX = float(np.finfo(np.float32).max)  # a larger sample would become inf
# What pandas would read as missing in a numeric column; anything else that is not a number
# makes the typed parse fail, and the file is read again as text to say where.
MISSING_TEXT = ["", "nan", "NaN", "NAN", "-nan", "NA", "N/A", "n/a", "null", "NULL", "None"]


@dataclass
class Problems:
    """Every problem found in a folder or file, one line each; `check` raises them together."""

    lines: list[str] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    footer: list[str] = field(default_factory=list)  # what the lines add up to; not counted

    def add(
        self, path: Path, what: str, fix: str = "", *, line: int | None = None, column: str | None = None
    ):
        place = [f"line {line}"] if line is not None else []
        place += [f"column {column}"] if column else []
        where = ": ".join([str(path), ", ".join(place)] if place else [str(path)])
        self.lines.append(f"{where}: {what}" + (f" (fix: {fix})" if fix else ""))
        self.files.add(str(path))

    def __bool__(self) -> bool:
        return bool(self.lines)

    def check(self, scope: str | Path) -> None:
        """Raise one DataError listing every problem, if there is any."""
        if self.lines:
            count = len(self.lines)
            head = f"{scope}: {_count(count, 'problem')} in {_count(len(self.files), 'file')}; nothing was written"
            raise DataError("\n  ".join([head, *self.lines, *self.footer]))


@dataclass(frozen=True)
class SessionFormat:
    """What a session file holds: the declared channels, column renaming and source units."""

    channels: tuple[str, ...] = DEFAULT_CHANNELS
    columns: Mapping[str, str] = field(default_factory=dict)  # file column -> har name
    factors: Mapping[str, float] = field(default_factory=dict)  # har name -> to canonical units
    max_gap_periods: float = MAX_GAP_PERIODS

    @classmethod
    def declare(
        cls,
        *,
        channels: Sequence[str] = DEFAULT_CHANNELS,
        units: Mapping[str, str] | None = None,
        columns: Mapping[str, str] | None = None,
        max_gap_periods: float = MAX_GAP_PERIODS,
        key: str = "data.source",
    ) -> SessionFormat:
        """Check the declaration; every bad key is a DataError naming it."""
        channels = check_channels(list(channels), "data.channels")
        units, columns = dict(units or {}), {str(k): str(v) for k, v in dict(columns or {}).items()}
        unknown = [name for name in units if name != "t" and name not in channels]
        if unknown:
            raise DataError(
                f"{key}.units: {', '.join(unknown)} not in data.channels ({' '.join(channels)}); "
                "declare units only for the channels used"
            )
        targets = list(columns.values())
        twice = sorted({name for name in targets if targets.count(name) > 1})
        if twice:
            raise DataError(f"{key}.columns: several columns renamed to {', '.join(twice)}")
        factors = {"t": time_factor(str(units.get("t", "s")), f"{key}.units.t")}
        for channel in channels:
            unit = units.get(channel)
            factors[channel] = (
                1.0 if unit is None else conversion_factor(channel, str(unit), f"{key}.units.{channel}")
            )
        gap = check_max_gap_periods(max_gap_periods, f"{key}.max_gap_periods")
        return cls(channels, columns, factors, gap)

    @property
    def needed(self) -> list[str]:
        return ["t", *self.channels]


@dataclass
class Session:
    """One session file read: timestamps in s, signals (n, C) float32 in canonical units."""

    path: Path
    t: np.ndarray  # (n,) float64 s, as recorded
    signals: np.ndarray  # (n, C) float32; NaN only where the caller allowed missing values
    label_codes: np.ndarray  # (n,) int32 index into label_names, -1 unlabelled
    label_names: list[str]
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def period(self) -> float:
        return median_period(self.t)

    @property
    def rate_found(self) -> float:
        """1 / the median step (nan for a single sample)."""
        return 1.0 / self.period if len(self.t) >= 2 else float("nan")

    @property
    def rate_hz(self) -> float:
        """The rate the device was set to (`har.data.rates.nominal_rate` of the rate found)."""
        return nominal_rate(self.rate_found)

    def parts(self, max_gap_periods: float) -> list[tuple[int, int]]:
        """(start, stop) sample ranges between gaps."""
        if len(self.t) < 2:
            return [(0, len(self.t))]
        cuts = gap_cuts(self.t, self.period, max_gap_periods).tolist()
        bounds = [0, *cuts, len(self.t)]
        return list(zip(bounds[:-1], bounds[1:]))

    def labels_as(self, index: Mapping[str, int]) -> np.ndarray:
        """Class indices (n,) int64 for the names in `index` (-1 where unlabelled or not in it)."""
        lookup = np.array([index.get(name, -1) for name in self.label_names] + [-1], dtype=np.int64)
        return lookup[self.label_codes]  # code -1 picks the trailing -1


def read_session(path: Path, fmt: SessionFormat, problems: Problems, *, allow_missing: bool = False):
    """Read one session file; None (and its problems added) if it cannot be used.

    Args:
        allow_missing: keep NaN channel values (a stream's sensor dropouts) instead of
            reporting them.
    """
    found = _header(path, problems)
    if found is None:
        return None
    renamed = [fmt.columns.get(c, c) for c in found]
    file_name = dict(zip(renamed, found))  # har name -> the file's column
    missing = [c for c in fmt.needed if c not in file_name]
    if missing:
        problems.add(
            path,
            f"missing column(s) {', '.join(missing)} (the file has {', '.join(found) or 'no columns'})",
            "rename the device's columns with data.source.columns={its_name: " + missing[0] + "}, "
            "or leave the channel out of data.channels",
        )
        return None
    wanted = fmt.needed + (["label"] if "label" in file_name else [])
    ignored = [c for c, name in zip(found, renamed) if name not in wanted]
    files = [file_name[c] for c in wanted]
    frame = _typed_frame(path, files, wanted)
    if frame is None or not _all_finite(frame, fmt.channels, allow_missing):
        frame = _text_frame(path, files, problems)  # as text, to quote the cells at fault
        if frame is None:
            return None
        frame.columns = wanted
    if len(frame) == 0:
        problems.add(path, "no rows", "remove the file or export it again")
        return None
    before = len(problems.lines)
    t = _numbers(path, frame, "t", file_name["t"], problems) * fmt.factors["t"]
    if len(problems.lines) == before:
        _check_increasing(path, t, problems)
    signals = np.empty((len(frame), len(fmt.channels)), dtype=np.float32)  # (n, C)
    for number, channel in enumerate(fmt.channels):
        values = _numbers(path, frame, channel, file_name[channel], problems, allow_missing=allow_missing)
        if not problems.lines[before:]:  # else the values are not used, and may not fit
            signals[:, number] = values * fmt.factors[channel]
    if len(problems.lines) > before:
        return None
    codes, names = _labels(frame)
    return Session(path, t, signals, codes, names, ignored)


def _header(path: Path, problems: Problems) -> list[str] | None:
    try:
        if path.stat().st_size == 0:
            problems.add(path, "empty file", "remove the file or export it again")
            return None
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            return [str(c) for c in pq.read_schema(path).names]
        with open(path, "rb") as stream:
            if b"\x00" in stream.read(1 << 16):
                problems.add(
                    path, "not a text CSV file (it contains NUL bytes)", "export it as CSV text or Parquet"
                )
                return None
        return [str(c).strip() for c in pd.read_csv(path, nrows=0, skipinitialspace=True).columns]
    except UnicodeDecodeError:
        problems.add(
            path, "not a text CSV file (cannot decode it as UTF-8)", "export it as UTF-8 CSV or Parquet"
        )
    except Exception as error:  # pandas and pyarrow raise many types for unreadable files
        problems.add(path, f"cannot be read as {path.suffix[1:].upper()}: {error}", "export it again")
    return None


def _typed_frame(path: Path, columns: list[str], names: list[str]) -> pd.DataFrame | None:
    """The file's `columns` parsed as numbers (label as a category), renamed to `names`;
    None if a cell is not a number."""
    numeric = [c for c in columns if c != "label"]
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path, columns=columns)
            for column in numeric:
                if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(
                    frame[column]
                ):
                    return None
            frame[numeric] = frame[numeric].astype(np.float64)
        else:
            frame = pd.read_csv(
                path,
                usecols=lambda name: name.strip() in columns,
                dtype={**{c: np.float64 for c in numeric}, "label": "category"},
                keep_default_na=False,
                na_values={**{c: MISSING_TEXT for c in numeric}, "label": [""]},
                skipinitialspace=True,
            )
            frame.columns = [str(c).strip() for c in frame.columns]
        frame = frame[columns]
        frame.columns = names
        return frame
    except (ValueError, TypeError):
        return None


def _all_finite(frame: pd.DataFrame, channels: Sequence[str], allow_missing: bool) -> bool:
    """Whether every value is a number float32 can hold (NaN too, for streams)."""
    t, values = frame["t"].to_numpy(), frame[list(channels)].to_numpy()
    inside = np.abs(values) <= FLOAT32_MAX  # False for NaN and inf
    return bool(np.isfinite(t).all() and (inside | (np.isnan(values) if allow_missing else False)).all())


def _text_frame(path: Path, columns: list[str], problems: Problems) -> pd.DataFrame | None:
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path, columns=columns).astype(object)
            return frame.where(frame.notna(), "")[columns]
        frame = pd.read_csv(
            path,
            usecols=lambda name: name.strip() in columns,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame[columns]
    except UnicodeDecodeError:
        problems.add(
            path, "not a text CSV file (cannot decode it as UTF-8)", "export it as UTF-8 CSV or Parquet"
        )
    except Exception as error:  # pandas raises many types for malformed files
        problems.add(path, f"cannot be read as {path.suffix[1:].upper()}: {error}", "export it again")
    return None


def _numbers(
    path: Path,
    frame: pd.DataFrame,
    name: str,
    column: str,
    problems: Problems,
    *,
    allow_missing: bool = False,
) -> np.ndarray:
    """The column as float64; non-numbers, NaN, inf and values beyond float32 are problems."""
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
    shown = column if column == name else f"{column} ({name})"
    bad = ~np.isfinite(values)
    if allow_missing:
        numeric = pd.api.types.is_numeric_dtype(frame[name])
        text = None if numeric else frame[name].astype(str).str.strip()
        missing = np.isnan(values) if text is None else text.isin(MISSING_TEXT).to_numpy()
        bad &= ~missing
    what, fix = "is not a finite number", "fill or drop these rows"
    if not bad.any() and name != "t":
        bad = np.abs(np.nan_to_num(values)) > FLOAT32_MAX
        what, fix = f"is beyond {FLOAT32_MAX:.3g}, the float32 range signals are stored in", "check the units"
    if bad.any():
        row = int(np.argmax(bad))
        problems.add(
            path,
            f"{frame[name].iloc[row]!r} {what} ({_count(int(bad.sum()), 'such value')} in this column)",
            fix,
            line=row + 2,
            column=shown,
        )
    return values


# A clock reading (in s) past this (1973) is a Unix epoch time, not time since power-on or
# since the recording started: messages then also give the time as a readable UTC date.
EPOCH_AFTER_S = 1e8


def describe_time(t: float, start: float, *, into: str = "the session") -> str:
    """A time for a message: `t=<seconds into the session>`, never a bare epoch like 1.57301e+09.

    A clock that starts at 0 keeps its own value (`t=0.16`); another says what it counts from,
    and an epoch clock adds its UTC date.
    """
    if start == 0:
        return f"t={t:g}"
    text = f"t={t - start:.6g} s into {into}"
    if start > EPOCH_AFTER_S:
        stamp = pd.Timestamp(t, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        text += f" ({stamp} UTC)"
    return text


def _check_increasing(path: Path, t: np.ndarray, problems: Problems) -> None:
    step = np.diff(t)
    wrong = step <= 0
    if wrong.any():
        row = int(np.argmax(wrong)) + 1
        kind = "repeats" if step[row - 1] == 0 else "goes back from"
        previous = describe_time(t[row - 1], t[0], into="the file").split(" (")[0].removeprefix("t=")
        problems.add(
            path,
            f"timestamp {describe_time(t[row], t[0], into='the file')} {kind} the previous one ({previous}); "
            f"timestamps must increase strictly ({_count(int(wrong.sum()), 'such step')})",
            "sort the rows by t and drop repeated timestamps",
            line=row + 2,
        )


def _labels(frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Label codes (n,) int32 into sorted names; empty cells (after stripping) are -1."""
    if "label" not in frame:
        return np.full(len(frame), -1, dtype=np.int32), []
    labels = frame["label"]
    if not isinstance(labels.dtype, pd.CategoricalDtype):
        labels = labels.astype("category")  # missing stays missing (code -1)
    found = [str(name).strip() for name in labels.cat.categories]
    names = sorted(set(found) - {""})
    remap = np.array([names.index(n) if n else -1 for n in found] + [-1], dtype=np.int32)
    return remap[labels.cat.codes.to_numpy()], names


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def read_table(path: Path, required: list[str], optional: list[str], problems: Problems):
    """A small table (sessions.csv, annotations.csv) as text, checked for its columns."""
    found = _header(path, problems)
    if found is None:
        return None
    missing = [c for c in required if c not in found]
    extra = [c for c in found if c not in required and c not in optional]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unexpected column(s) {', '.join(extra)}"] if extra else []
        )
        problems.add(path, "; ".join(parts), f"use the columns {','.join(required + optional)}")
        return None
    return _text_frame(path, found, problems)
