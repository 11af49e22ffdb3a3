"""The tf.data pipeline: shuffle, batch, augment (train only), normalise, prefetch.

Augmentation runs on raw physical units (a rotation must see g and rad/s triads, not
standardised channels), so it comes before normalisation. It receives a stateless seed per
batch derived from the run seed and the batch counter, so a seeded run is repeatable.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from har.data.dataset import Normaliser
from har.data.recording import WindowSet

# (x (B, T, C), seed (2,) int) -> (B, T, C)
BatchAugment = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def make_dataset(
    windows: WindowSet,
    normaliser: Normaliser,
    *,
    batch_size: int,
    training: bool,
    seed: int = 0,
    augment: BatchAugment | None = None,
    num_classes: int | None = None,
) -> tf.data.Dataset:
    """Batches of (normalised x (B, T, C), y (B,)) for `fit`, `evaluate` or `predict`.

    Args:
        windows: raw-unit windows of one split.
        normaliser: statistics fit on train.
        training: shuffle each epoch and apply `augment`; never set for val or test.
        seed: shuffling and augmentation seed.
        augment: batched augmentation, train only.
        num_classes: if set, labels are one-hot (for label smoothing or mixup).
    """
    if augment is not None and not training:
        raise ValueError("augmentation applies to the training split only")
    mean = tf.constant(normaliser.mean, dtype=tf.float32)
    std = tf.constant(normaliser.std, dtype=tf.float32)
    labels = windows.y.astype(np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((windows.X.astype(np.float32), labels))
    if training:
        dataset = dataset.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if augment is not None:
        counter = tf.data.Dataset.counter()
        dataset = tf.data.Dataset.zip((dataset, counter)).map(
            lambda batch, step: (augment(batch[0], tf.stack([tf.constant(seed, tf.int64), step])), batch[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    dataset = dataset.map(lambda x, y: ((x - mean) / std, y), num_parallel_calls=tf.data.AUTOTUNE)
    if num_classes is not None:
        dataset = dataset.map(lambda x, y: (x, tf.one_hot(y, num_classes)))
    return dataset.prefetch(tf.data.AUTOTUNE)
