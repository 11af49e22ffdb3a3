"""`har-augment-preview`: one train window before and after each augmentation, as a PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf
from omegaconf import DictConfig

from har.augment.pipeline import build_pipeline, build_step
from har.config import ConfigError, instantiate, to_container
from har.data import load_windows, sensor_groups
from har.io import atomic_write


def panels(cfg: DictConfig, window: np.ndarray, channels: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """The window (1, T, C), each step of `cfg.augment` alone at probability 1, then the pipeline.

    Args:
        cfg: the preview config (`augment`, `seed`).
        window: (1, T, C) in the order of `channels`.
        channels: the data's declared channels; a step that needs a sensor triad they lack is
            refused by name.

    Returns:
        (title, (T, C) values) per panel, in that order.
    """
    seed = tf.constant([cfg.seed, 0], tf.int64)
    shown = [("original", window[0])]
    for index, step_cfg in enumerate(cfg.augment.steps):
        step = build_step(step_cfg, f"augment.steps[{index}]", channels)
        name = step_cfg._target_.rsplit(".", 1)[-1]
        forced = step.func(tf.constant(window), seed, **{**step.keywords, "probability": 1.0})
        shown.append((f"{name} (strength {step_cfg.strength})", forced.numpy()[0]))
    pipeline = build_pipeline(cfg.augment, channels)
    if pipeline is not None:
        augmented = pipeline(tf.constant(window), seed).numpy()[0]
        shown.append((f"pipeline {cfg.augment.name} (as in training)", augmented))
    return shown


def preview(cfg: DictConfig) -> Path:
    """Plot window `cfg.index` of train: the original, each step alone (probability 1), all steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = load_windows(cfg.data)
    if not 0 <= cfg.index < len(data.train):
        raise ConfigError(
            f"index={cfg.index}: train has {len(data.train)} windows (0 to {len(data.train) - 1})"
        )
    window = data.train.X[cfg.index : cfg.index + 1]  # (1, T, C)
    shown = panels(cfg, window, data.channels)
    time = np.arange(window.shape[1]) / data.rate_hz
    groups = sensor_groups(data.channels, data.units)  # one column of panels per sensor
    figure, axes = plt.subplots(
        len(shown), len(groups), figsize=(5.5 * len(groups), 1.9 * len(shown)), sharex=True, squeeze=False
    )
    for row, (title, values) in enumerate(shown):
        for column, (_, members, unit) in enumerate(groups):
            axis = axes[row, column]
            for colour, channel in enumerate(members):
                axis.plot(time, window[0, :, channel], color=f"C{colour}", alpha=0.25, linewidth=1)
                axis.plot(
                    time, values[:, channel], color=f"C{colour}", linewidth=1.2, label=data.channels[channel]
                )
            axis.set_title(title if column == 0 else "", loc="left", fontsize=9)
            axis.set_ylabel(unit)
    for column in range(len(groups)):
        axes[0, column].legend(loc="upper right", fontsize=7, ncols=3)
        axes[-1, column].set_xlabel("s")
    label = data.class_names[int(data.train.y[cfg.index])]
    figure.suptitle(f"{cfg.data.name} train window {cfg.index} ({label}); faint: original", fontsize=10)
    figure.tight_layout()
    path = Path(cfg.paths.output_dir) / f"augment_{cfg.augment.name}.png"
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"), suffix=".png")
    plt.close(figure)
    logger = instantiate(cfg.logger, "logger")
    with logger.start(
        run_dir=path.parent, name=f"augment-preview-{cfg.augment.name}", config=to_container(cfg)
    ):
        logger.log_image(f"augment/{cfg.augment.name}", path)
    return path


def main(cfg: DictConfig) -> None:
    """`har-augment-preview`: write the preview and say where it is."""
    print(preview(cfg))
