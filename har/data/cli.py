"""`har-data`: print a dataset's summary (windows per split and class) and a report per session
(rate found, duration, gaps, labels, the split its subject went to)."""

from __future__ import annotations

import sys

from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

from har.data.dataset import WindowedData, load_windows

WIDE = 10_000  # columns for a table printed to a pipe or file: as wide as its cells need


def render_summary(data: WindowedData, name: str) -> Table:
    summary = data.summary()
    splits = summary["splits"]
    table = Table(
        title=f"{name}: {data.rate_hz:g} Hz, window {data.window} samples, hop {data.hop} "
        f"({'cached' if data.cache_hit else 'built'} in {data.seconds:.2f} s)"
    )
    table.add_column("")
    for split in splits:
        table.add_column(split, justify="right")
    table.add_row("subjects", *[" ".join(s["subjects"]) for s in splits.values()])
    table.add_row("recordings", *[str(s["recordings"]) for s in splits.values()])
    table.add_row("windows", *[str(s["windows"]) for s in splits.values()])
    table.add_row("share of windows", *[f"{s['share']:.0%}" for s in splits.values()])
    table.add_row("classes", *[f"{s['classes']} of {len(data.class_names)}" for s in splits.values()])
    for class_name in data.class_names:
        table.add_row(f"  {class_name}", *[str(s["per_class"][class_name]) for s in splits.values()])
    return table


def render_sessions(data: WindowedData) -> Table:
    """One row per source session: what was found in it and where it went."""
    table = Table(title=f"sessions ({', '.join(data.channels)}; {', '.join(_units(data))})")
    aligned = any(session.get("sensors") for session in data.sessions)
    counted = any(session.get("count") for session in data.sessions)
    columns = ["session", "subject", "split", "rate found", "duration", "gaps", "labels (s)"]
    columns += ["count"] * counted + ["sensors (offset, rate, overlap)"] * aligned + ["dropped"]
    for column in columns:
        table.add_column(column, justify="right" if column in ("duration", "gaps", "count") else "left")
    for session in data.sessions:
        rate = session.get("rate_found_hz")
        rate_text = "?" if rate is None else f"{rate:.4g} Hz"
        if session.get("resampled_to"):
            rate_text += f" -> {session['resampled_to']:g}"
        gaps = session.get("gaps", 0)
        longest = f" (longest {session['longest_gap_s']:g} s)" if gaps else ""
        split = session.get("split") or "-"
        if session.get("declared_split"):
            split += " (declared)"
        cells = [
            str(session.get("file", session["session"])),
            str(session["subject"]),
            split,
            rate_text,
            f"{session['duration_s']:.1f} s",
            f"{gaps}{longest}",
            " ".join(f"{name} {seconds:g}" for name, seconds in session.get("labels", {}).items()) or "-",
        ]
        cells += [str(session.get("count") or "-")] * counted
        cells += [_alignment(session.get("sensors") or {})] * aligned
        table.add_row(*cells, "; ".join(session.get("dropped", [])) or "-")
    return table


def _alignment(sensors: dict) -> str:
    """Each sensor's start after the session's first sample, its rate, and the span all cover."""
    if not sensors:
        return "-"
    parts = [f"{name} +{s['offset_s']:g} s {s['rate_found_hz']:.4g} Hz" for name, s in sensors.items()]
    return "; ".join(parts) + f"; overlap {next(iter(sensors.values()))['overlap_s']:g} s"


def _units(data: WindowedData) -> list[str]:
    by_unit: dict[str, list[str]] = {}
    for channel in data.channels:
        by_unit.setdefault(data.units.get(channel) or "as recorded", []).append(channel)
    return [f"{' '.join(channels)} in {unit}" for unit, channels in by_unit.items()]


def main(cfg: DictConfig) -> None:
    """`har-data`: load (or build) the windows of `cfg.data` and print their summary."""
    data = load_windows(cfg.data)
    # piped or redirected (no terminal to fit), a table is printed whole, never cut to 80 columns
    console = Console() if sys.stdout.isatty() else Console(width=WIDE)
    console.print(render_summary(data, cfg.data.name))
    if cfg.sessions:
        console.print(render_sessions(data))
    total = sum(data.recordings_per_split.values())
    console.print(
        f"{total} recordings, {sum(len(s) for s in data.subjects.values())} subjects, "
        f"{len(data.class_names)} classes, {len(data.train) + len(data.val) + len(data.test)} windows; "
        f"cache: {data.cache_path}"
    )
