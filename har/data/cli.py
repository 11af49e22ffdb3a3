"""`har-data`: print a dataset's summary (recordings, subjects, classes and windows per split)."""

from __future__ import annotations

from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

from har.data.dataset import WindowedData, load_windows


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
    for class_name in data.class_names:
        table.add_row(f"  {class_name}", *[str(s["per_class"][class_name]) for s in splits.values()])
    return table


def main(cfg: DictConfig) -> None:
    """`har-data`: load (or build) the windows of `cfg.data` and print their summary."""
    data = load_windows(cfg.data)
    console = Console()
    console.print(render_summary(data, cfg.data.name))
    total = sum(data.recordings_per_split.values())
    console.print(
        f"{total} recordings, {sum(len(s) for s in data.subjects.values())} subjects, "
        f"{len(data.class_names)} classes, {len(data.train) + len(data.val) + len(data.test)} windows; "
        f"cache: {data.cache_path}"
    )
