"""One session at a glance: the channels by sensor, the predicted class over time, events vs truth."""

from __future__ import annotations

from pathlib import Path

from har.data.channels import sensor_groups, units_of
from har.io import atomic_write
from har.stream.sources import Stream
from har.stream.tracker import TrackResult


def plot_session(
    stream: Stream, result: TrackResult, class_names: list[str], path: Path, *, seconds: float | None = 60.0
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    end = stream.t[-1] if seconds is None else min(stream.t[-1], stream.t[0] + seconds)
    shown = stream.t <= end
    groups = sensor_groups(stream.channels, units_of(stream.channels))
    figure, axes = plt.subplots(
        len(groups) + 2,
        1,
        figsize=(13, 2 * len(groups) + 4),
        sharex=True,
        gridspec_kw={"height_ratios": [2] * len(groups) + [1.4, 1.2]},
    )
    for axis, (_, members, unit) in zip(axes, groups):
        for channel in members:
            axis.plot(
                stream.t[shown], stream.signals[shown, channel], linewidth=0.7, label=stream.channels[channel]
            )
        axis.set_ylabel(unit)
        axis.legend(loc="upper right", ncols=3, fontsize=7)
    predicted_axis, events_axis = axes[-2], axes[-1]
    index = {name: i for i, name in enumerate(class_names)}
    steps = [s for s in result.steps if s.t_centre <= end]
    predicted_axis.step(
        [s.t_centre for s in steps],
        [index[s.label] for s in steps],
        where="mid",
        linewidth=1,
        label="predicted",
    )
    truth_steps = [s for s in steps if s.true_label in index]
    if truth_steps:
        predicted_axis.plot(
            [s.t_centre for s in truth_steps],
            [index[s.true_label] for s in truth_steps],
            ".",
            markersize=3,
            color="black",
            label="true (window centre)",
        )
    predicted_axis.set_yticks(range(len(class_names)), class_names, fontsize=7)
    predicted_axis.legend(loc="upper right", fontsize=7)
    rows = (
        (list(stream.truth), "black"),
        ([(e.label, e.t_start, e.t_end) for e in result.events], "C3"),
    )
    for row, (spans, colour) in enumerate(rows):
        for name, start, stop in spans:
            if start > end:
                continue
            events_axis.broken_barh([(start, stop - start)], (row - 0.35, 0.7), color=colour, alpha=0.7)
            events_axis.text((start + stop) / 2, row + 0.42, name, ha="center", fontsize=6, rotation=30)
    events_axis.set_yticks([0, 1], ["true", "detected"])
    events_axis.set_ylim(-0.6, 2.0)
    events_axis.set_xlabel("s")
    score = result.score
    title = stream.name + (
        f": event F1 {score.f1:.3f} (P {score.precision:.3f}, R {score.recall:.3f})" if score else ""
    )
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=100, format="png"), suffix=".png")
    plt.close(figure)
    return path
