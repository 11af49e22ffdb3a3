"""One session at a glance: the channels by sensor, the model's decisions over time, events vs truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from har.data import sensor_groups
from har.export import Predictor
from har.io import atomic_write
from har.stream.sources import Stream
from har.stream.tracker import TrackResult


def plot_session(
    stream: Stream,
    result: TrackResult,
    predictor: Predictor,
    path: Path,
    *,
    classes: list[str],
    seconds: float | None = 60.0,
) -> Path:
    """session.png: channels by sensor, the model's decision per call, true and detected events
    (of `classes`, the ones scored)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    end = stream.t[-1] if seconds is None else min(stream.t[-1], stream.t[0] + seconds)
    # one panel per sensor (a triad, or a free channel), in the bundle's order; the stream was
    # cut to the bundle's channels
    groups = sensor_groups(predictor.channels, predictor.manifest["units"])
    figure, axes = plt.subplots(
        len(groups) + 2,
        1,
        figsize=(13, 2.2 * len(groups) + 3.6),
        sharex=True,
        gridspec_kw={"height_ratios": [2] * len(groups) + [1.4, 1.2]},
    )
    shown = stream.t <= end
    for axis, (_, members, unit) in zip(axes, groups):
        for channel in members:
            axis.plot(
                stream.t[shown],
                stream.signals[shown, channel],
                linewidth=0.7,
                label=predictor.channels[channel],
            )
        axis.set_ylabel(unit)
        axis.legend(loc="upper right", ncols=3, fontsize=7)
    _plot_decisions(axes[-2], stream, result, predictor.class_names, end)
    _plot_events(axes[-1], [t for t in stream.truth if t[0] in classes], result, end)
    figure.suptitle(stream.name, fontsize=10)
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=100, format="png"), suffix=".png")
    plt.close(figure)
    return path


def _plot_decisions(axis, stream: Stream, result: TrackResult, class_names: list[str], end: float) -> None:
    index = {name: i for i, name in enumerate(class_names)}
    steps = [s for s in result.steps if s.centre <= end]
    axis.plot([s.centre for s in steps], [index[s.label] for s in steps], "o", markersize=3, label="model")
    if stream.labels is not None:
        shown = stream.t <= end
        truth = np.array(
            [index.get(stream.class_names[v], np.nan) if v >= 0 else np.nan for v in stream.labels[shown]]
        )
        axis.plot(stream.t[shown], truth, color="black", linewidth=0.8, label="true")
    axis.set_yticks(range(len(class_names)), class_names, fontsize=6)
    axis.legend(loc="upper right", fontsize=7)


def _plot_events(axis, truth: list, result: TrackResult, end: float) -> None:
    rows = ((truth, "black"), ([(e.label, e.onset, e.end) for e in result.events], "C3"))
    for row, (spans, colour) in enumerate(rows):
        for name, start, stop in spans:
            if start > end:
                continue
            stop = min(stop, end)
            axis.broken_barh([(start, stop - start)], (row - 0.35, 0.7), color=colour, alpha=0.7)
            axis.text((start + stop) / 2, row + 0.42, name, ha="center", fontsize=6, rotation=30)
    axis.set_yticks([0, 1], ["true", "detected"])
    axis.set_ylim(-0.6, 2.0)
    axis.set_xlabel("s")
