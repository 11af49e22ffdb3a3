"""An ordered chain of transforms built from `conf/augment/*.yaml`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tensorflow as tf
from omegaconf import DictConfig

from har.config import ConfigError, instantiate

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


def build_pipeline(augment_cfg: DictConfig) -> Pipeline | None:
    """The transforms of `cfg.augment`, checked on a dummy batch so a bad value fails now."""
    steps = []
    for index, step_cfg in enumerate(augment_cfg.steps):
        key = f"augment.steps[{index}]"
        step = instantiate(step_cfg, key)
        try:
            step(tf.zeros([2, 16, 6]), tf.constant([0, 0], tf.int64))
        except (ValueError, TypeError) as error:
            raise ConfigError(f"{key} ({step_cfg._target_.rsplit('.', 1)[-1]}): {error}") from None
        steps.append(step)
    return Pipeline(steps) if steps else None
