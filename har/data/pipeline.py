"""The tf.data pipeline: shuffle, batch, augment (train only), normalise, mixup, prefetch.

Augmentation runs on raw physical units (a rotation must see g and rad/s triads, not
standardised channels), so it comes before normalisation. Training data is one dataset of
`epochs` epochs in a row; every random draw (the order, augmentation, mixup) is stateless and
keyed on (run seed, epoch, batch), so a seeded run is repeatable and each epoch draws anew.
Mixup mixes labels as well as windows, so it lives here with the labels, after
normalisation, rather than among the window transforms of `har.augment`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from har.data.dataset import Normaliser
from har.data.recording import WindowSet

# Batches augmented per call (see make_dataset).
AUGMENT_CHUNK = 8

# (x (B, T, C), seed (2,) int) -> (B, T, C): e.g. a har.augment.Pipeline, passed in by the
# caller, so this module does not depend on the augmentation package
BatchAugment = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]

# Each kind of draw has its own seeds: augmentation uses the run seed itself.
MIXUP_SEED_OFFSET = 1 << 40
ORDER_SEED_OFFSET = 1 << 41


def stream_seed(seed: int, epoch: tf.Tensor, step: tf.Tensor, offset: int = 0) -> tf.Tensor:
    """The stateless seed (2,) of one draw: (run seed + offset, epoch << 32 | step)."""
    return tf.stack([tf.constant(seed + offset, tf.int64), tf.cast(epoch, tf.int64) * (1 << 32) + step])


def batches_per_epoch(windows: WindowSet, batch_size: int) -> int:
    """Training batches in one epoch (the last one may be smaller)."""
    return -(-len(windows) // batch_size)


def make_dataset(
    windows: WindowSet,
    normaliser: Normaliser,
    *,
    batch_size: int,
    training: bool,
    seed: int = 0,
    epochs: int = 1,
    augment: BatchAugment | None = None,
    num_classes: int | None = None,
    mixup_alpha: float = 0.0,
    augment_mask: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Batches of (normalised x (B, T, C), y) for `fit`, `evaluate` or `predict`.

    Args:
        windows: raw-unit windows of one split.
        normaliser: statistics fit on train.
        training: shuffle each epoch and apply `augment` and mixup; never set for val or test.
        seed: shuffling and augmentation seed.
        epochs: training only: the dataset holds this many epochs in a row (fit it with
            `steps_per_epoch=batches_per_epoch(...)`), each with its own order and draws.
        augment: batched augmentation on raw units, train only.
        num_classes: if set, labels are one-hot (B, K) (needed for label smoothing and mixup).
        mixup_alpha: > 0 mixes pairs of normalised windows and their one-hot labels.
        augment_mask: (N,) bool, the windows `augment` applies to (default: all); e.g. real
            windows only, when synthetic ones should reach the model as generated.
    """
    if (augment is not None or mixup_alpha > 0) and not training:
        raise ValueError("augmentation applies to the training split only")
    if mixup_alpha > 0 and num_classes is None:
        raise ValueError("mixup needs one-hot labels: pass num_classes")
    if epochs < 1 or (epochs > 1 and not training):
        raise ValueError(f"epochs={epochs}: training data takes >= 1 epochs, evaluation data 1")
    if augment_mask is None:
        augment_mask = np.ones(len(windows), dtype=bool)
    if len(augment_mask) != len(windows):
        raise ValueError(f"augment_mask has {len(augment_mask)} entries for {len(windows)} windows")
    finish = _finisher(normaliser, num_classes, mixup_alpha)
    if not training:
        dataset = tf.data.Dataset.from_tensor_slices(
            (windows.X.astype(np.float32), windows.y.astype(np.int32))
        )
        return (
            dataset.batch(batch_size)
            .map(finish, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE)
        )
    one_epoch = _epoch_maker(windows, augment_mask, batch_size, seed, augment, finish)
    dataset = tf.data.Dataset.range(epochs).flat_map(one_epoch)
    # Each epoch gives ceil(N / batch) batches (a full chunk gives AUGMENT_CHUNK of them, the
    # last one ceil(rest / batch)); say so, or Keras cannot count steps.
    dataset = dataset.apply(
        tf.data.experimental.assert_cardinality(epochs * batches_per_epoch(windows, batch_size))
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def _finisher(normaliser: Normaliser, num_classes: int | None, mixup_alpha: float):
    """(x, y[, seed]) -> normalised x, labels (one-hot when `num_classes`), mixed up when asked."""
    mean = tf.constant(normaliser.mean, dtype=tf.float32)
    std = tf.constant(normaliser.std, dtype=tf.float32)

    def finish(x, y, seed_of_batch=None):
        x = (x - mean) / std
        if num_classes is not None:
            y = tf.one_hot(y, num_classes)
        if mixup_alpha > 0:
            x, y = mixup(x, y, seed_of_batch, mixup_alpha)
        return x, y

    return finish


def _epoch_maker(
    windows: WindowSet, augment_mask: np.ndarray, batch_size: int, seed: int, augment, finish
) -> Callable[[tf.Tensor], tf.data.Dataset]:
    """epoch -> that epoch's training batches: its own order, augmentation and mixup draws."""
    X = tf.constant(windows.X.astype(np.float32))  # (N, T, C)
    y_all, mask_all = tf.constant(windows.y.astype(np.int32)), tf.constant(augment_mask)
    # Augmentation costs mostly per call, not per window: augment chunks of AUGMENT_CHUNK
    # batches at once, then cut them back into batches.
    per_call = batch_size * (AUGMENT_CHUNK if augment is not None else 1)

    def one_epoch(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(len(windows), dtype=tf.int64),
            seed=stream_seed(seed, epoch, tf.constant(0, tf.int64), ORDER_SEED_OFFSET),
        )

        def gather(step, index):
            x, y = tf.gather(X, index), tf.gather(y_all, index)  # (B, T, C), (B,)
            if augment is not None:
                augmented = augment(x, stream_seed(seed, epoch, step))
                x = tf.where(tf.gather(mask_all, index)[:, None, None], augmented, x)
            return x, y

        batches = tf.data.Dataset.from_tensor_slices(order).batch(per_call).enumerate()
        batches = batches.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        if augment is not None:
            batches = batches.rebatch(batch_size)
        return batches.enumerate().map(
            lambda step, batch: finish(*batch, stream_seed(seed, epoch, step, MIXUP_SEED_OFFSET)),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )

    return one_epoch


def mixup(x: tf.Tensor, y: tf.Tensor, seed: tf.Tensor, alpha: float) -> tuple[tf.Tensor, tf.Tensor]:
    """Mix each sample with another of the batch: lambda ~ Beta(alpha, alpha); y one-hot (B, K)."""
    lambda_seed, order_seed = tf.unstack(tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2))
    batch = tf.shape(x)[0]
    first = tf.random.stateless_gamma([batch], lambda_seed, alpha=alpha)
    second = tf.random.stateless_gamma([batch], lambda_seed + 1, alpha=alpha)
    mix = first / (first + second)  # (B,) Beta(alpha, alpha)
    partner = tf.argsort(tf.random.stateless_uniform([batch], order_seed))
    x_mix = mix[:, None, None] * x + (1 - mix[:, None, None]) * tf.gather(x, partner)
    y_mix = mix[:, None] * y + (1 - mix[:, None]) * tf.gather(y, partner)
    return x_mix, y_mix
