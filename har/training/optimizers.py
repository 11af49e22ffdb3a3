"""Optimizers with their learning-rate schedule, built once the step count is known."""

from __future__ import annotations

import math

import keras

SCHEDULES = ("constant", "cosine")


def _finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def adamw(
    *,
    steps_per_epoch: int,
    epochs: int,
    learning_rate: float = 1e-3,
    weight_decay: float = 1e-4,
    schedule: str = "cosine",
    warmup_epochs: int = 0,
    clipnorm: float | None = None,
) -> keras.optimizers.Optimizer:
    """AdamW; `schedule=cosine` decays to zero over the run after a linear warm-up.

    `weight_decay=0` is plain Adam.
    """
    if not _finite_number(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate={learning_rate!r}: expected a positive, finite number")
    if not _finite_number(weight_decay) or weight_decay < 0:
        raise ValueError(f"weight_decay={weight_decay!r}: expected a finite number >= 0")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule={schedule!r}: expected one of {', '.join(SCHEDULES)}")
    total = max(1, steps_per_epoch * epochs)
    warmup = steps_per_epoch * warmup_epochs
    rate: float | keras.optimizers.schedules.LearningRateSchedule = learning_rate
    if schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=learning_rate if not warmup else 0.0,
            decay_steps=max(1, total - warmup),
            warmup_target=learning_rate if warmup else None,
            warmup_steps=warmup,
        )
    return keras.optimizers.AdamW(learning_rate=rate, weight_decay=weight_decay, clipnorm=clipnorm)
