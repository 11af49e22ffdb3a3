"""`stream=stdin`: samples as CSV lines on standard input, read as they arrive.

For a phone or BLE bridge piping a live sensor in: `my_bridge | har-track bundle=... stream=stdin`.
Each line is `t,<channel>,...` in the order of `stream.channels`, by default the bundle's
(timestamps in seconds, units as the manifest says); a first line that is not numbers is a
header naming the columns, which may then come in any order (extra columns, such as `label`,
are ignored). Times are taken relative to the first sample, as for `stream=file`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

import numpy as np

from har.data import DataError, require_channels


class LineStream:
    """A stream read line by line from a text source (stdin by default), chunk by chunk."""

    def __init__(
        self, *, rate_hz: float, channels: list[str], source: TextIO | None = None, name: str = "stdin"
    ) -> None:
        self.name, self.rate_hz, self.channels = name, rate_hz, list(channels)
        self.layout = list(channels)  # the channels of a line without a header, in its order
        self.positions = list(range(1 + len(self.layout)))  # of t and each channel read, without a header
        self.source = source
        self.class_names: list[str] = []
        self.truth: list = []
        self.labels = None
        self.line = 0
        self.columns: list[int] | None = None  # positions of t and each channel in a line
        self.first_t: float | None = None
        self.previous_t: float | None = None

    def select(self, channels: Sequence[str]) -> LineStream:
        """Read only `channels`, in that order (the model's, from its bundle)."""
        require_channels(self.name, channels, self.layout)
        self.channels = list(channels)
        self.positions = [0, *(1 + self.layout.index(c) for c in channels)]
        return self

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(t (n,), samples (n, C)) of up to `size` lines, as soon as `size` lines have arrived."""
        rows: list[list[float]] = []
        for text in self.source if self.source is not None else sys.stdin:
            self.line += 1
            fields = text.strip().split(",")
            if fields == [""]:
                continue
            if self.columns is None and not _numeric(fields[0]):
                self.columns = self._header(fields)
                continue
            rows.append(self._row(fields))
            if len(rows) == size:
                yield self._arrays(rows)
                rows = []
        if rows:
            yield self._arrays(rows)

    def _header(self, names: list[str]) -> list[int]:
        names = [n.strip() for n in names]
        missing = [c for c in ("t", *self.channels) if c not in names]
        if missing:
            raise DataError(f"{self.name}: line {self.line}: header has no column(s) {', '.join(missing)}")
        return [names.index(c) for c in ("t", *self.channels)]

    def _row(self, fields: list[str]) -> list[float]:
        columns = self.columns or self.positions
        if len(fields) <= max(columns):
            raise DataError(
                f"{self.name}: line {self.line}: {len(fields)} values, expected t and {len(self.layout)} "
                f"channels ({', '.join(self.layout)})"
            )
        try:
            row = [float(fields[i]) if fields[i].strip() else float("nan") for i in columns]
        except ValueError as error:
            raise DataError(f"{self.name}: line {self.line}: {error}") from error
        if not np.isfinite(row[0]):
            raise DataError(
                f"{self.name}: line {self.line}: timestamp {fields[columns[0]]!r} is not a number"
            )
        if self.previous_t is not None and row[0] <= self.previous_t:
            raise DataError(f"{self.name}: line {self.line}: timestamp t={row[0]} does not increase")
        self.previous_t = row[0]
        return row

    def _arrays(self, rows: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
        table = np.asarray(rows, dtype=np.float64)  # (n, 1 + C)
        if self.first_t is None:
            self.first_t = float(table[0, 0])
        return table[:, 0] - self.first_t, table[:, 1:].astype(np.float32)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def stdin_stream(*, rate_hz: float, channels: list[str] | None = None) -> LineStream:
    """Samples from standard input; `channels` defaults to the bundle's (filled in by `har-track`)."""
    if not channels:
        raise DataError("stream=stdin: no channels given (har-track fills them in from the bundle)")
    return LineStream(rate_hz=rate_hz, channels=channels)
