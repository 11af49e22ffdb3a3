"""One session at a glance: the six channels, the predicted class over time, events vs truth."""

from __future__ import annotations

from pathlib import Path

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
    figure, axes = plt.subplots(
        4, 1, figsize=(13, 8), sharex=True, gridspec_kw={"height_ratios": [2, 2, 1.4, 1.2]}
    )
    for axis, triad, unit in ((axes[0], range(3), "g"), (axes[1], range(3, 6), "rad/s")):
        for channel in triad:
            axis.plot(
                stream.t[shown],
                stream.signals[shown, channel],
                linewidth=0.7,
                label=["ax", "ay", "az", "gx", "gy", "gz"][channel],
            )
        axis.set_ylabel(unit)
        axis.legend(loc="upper right", ncols=3, fontsize=7)
    index = {name: i for i, name in enumerate(class_names)}
    steps = [s for s in result.steps if s.t_centre <= end]
    axes[2].step(
        [s.t_centre for s in steps],
        [index[s.label] for s in steps],
        where="mid",
        linewidth=1,
        label="predicted",
    )
    truth_steps = [s for s in steps if s.true_label in index]
    if truth_steps:
        axes[2].plot(
            [s.t_centre for s in truth_steps],
            [index[s.true_label] for s in truth_steps],
            ".",
            markersize=3,
            color="black",
            label="true (window centre)",
        )
    axes[2].set_yticks(range(len(class_names)), class_names, fontsize=7)
    axes[2].legend(loc="upper right", fontsize=7)
    rows = (
        (list(stream.truth), "black"),
        ([(e.label, e.t_start, e.t_end) for e in result.events], "C3"),
    )
    for row, (spans, colour) in enumerate(rows):
        for name, start, stop in spans:
            if start > end:
                continue
            axes[3].broken_barh([(start, stop - start)], (row - 0.35, 0.7), color=colour, alpha=0.7)
            axes[3].text((start + stop) / 2, row + 0.42, name, ha="center", fontsize=6, rotation=30)
    axes[3].set_yticks([0, 1], ["true", "detected"])
    axes[3].set_ylim(-0.6, 2.0)
    axes[3].set_xlabel("s")
    score = result.score
    title = stream.name + (
        f": event F1 {score.f1:.3f} (P {score.precision:.3f}, R {score.recall:.3f})" if score else ""
    )
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=100, format="png"), suffix=".png")
    plt.close(figure)
    return path
