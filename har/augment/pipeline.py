"""An ordered chain of transforms built from `conf/augment/*.yaml`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

import tensorflow as tf
from omegaconf import DictConfig

from har.config import ConfigError, instantiate
from har.data import DEFAULT_CHANNELS, triads

Transform = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


class Pipeline:
    """Apply `steps` in order; step i gets its own seed split from the batch seed."""

    def __init__(self, steps: Sequence[Transform]) -> None:
        self.steps = list(steps)

    def __call__(self, x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        if not self.steps:
            return x
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), len(self.steps))
        for index, step in enumerate(self.steps):
            x = step(x, seeds[index])
        return x

    def __len__(self) -> int:
        return len(self.steps)


def build_step(
    step_cfg: DictConfig, key: str, channels: Sequence[str] = DEFAULT_CHANNELS
) -> functools.partial:
    """One transform of `augment.steps`; a step that acts per sensor gets the triads of `channels`."""
    step = instantiate(step_cfg, key)
    if "triads" in inspect.signature(step.func).parameters and "triads" not in step.keywords:
        step = functools.partial(step, triads=triads(channels))
    return step


def build_pipeline(augment_cfg: DictConfig, channels: Sequence[str] = DEFAULT_CHANNELS) -> Pipeline | None:
    """The transforms of `cfg.augment` for windows of `channels` (`data.channels`), checked on a
    dummy batch so that a bad value, or a step the channels cannot take, fails now."""
    steps = []
    for index, step_cfg in enumerate(augment_cfg.steps):
        key = f"augment.steps[{index}]"
        step = build_step(step_cfg, key, channels)
        try:
            step(tf.zeros([2, 16, len(channels)]), tf.constant([0, 0], tf.int64))
        except (ValueError, TypeError) as error:
            raise ConfigError(f"{key} ({step_cfg._target_.rsplit('.', 1)[-1]}): {error}") from None
        steps.append(step)
    return Pipeline(steps) if steps else None
