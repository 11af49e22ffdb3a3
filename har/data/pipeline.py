"""The tf.data pipeline: shuffle, batch, augment (train only), normalise, mixup, prefetch.

Augmentation runs on raw physical units (a rotation must see g and rad/s triads, not
standardised channels), so it comes before normalisation. It receives a stateless seed per
batch derived from the run seed and the batch counter, so a seeded run is repeatable.
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


def make_dataset(
    windows: WindowSet,
    normaliser: Normaliser,
    *,
    batch_size: int,
    training: bool,
    seed: int = 0,
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
    mean = tf.constant(normaliser.mean, dtype=tf.float32)
    std = tf.constant(normaliser.std, dtype=tf.float32)
    labels = windows.y.astype(np.int32)
    if augment_mask is None:
        augment_mask = np.ones(len(windows), dtype=bool)
    if len(augment_mask) != len(windows):
        raise ValueError(f"augment_mask has {len(augment_mask)} entries for {len(windows)} windows")
    dataset = tf.data.Dataset.from_tensor_slices((windows.X.astype(np.float32), labels, augment_mask))
    if training:
        dataset = dataset.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True)
    if augment is not None:
        # Augmentation costs mostly per call, not per window: augment chunks of
        # AUGMENT_CHUNK batches at once, then cut them back into batches.
        dataset = dataset.batch(batch_size * AUGMENT_CHUNK)

        # A stateless seed per chunk: (run seed, chunk counter); the counter restarts each
        # epoch, but the shuffle puts other windows in each chunk.
        def augment_chunk(batch, step):
            x, y, mask = batch
            augmented = augment(x, tf.stack([tf.constant(seed, tf.int64), step]))
            return tf.where(mask[:, None, None], augmented, x), y

        dataset = tf.data.Dataset.zip((dataset, tf.data.Dataset.counter())).map(
            augment_chunk, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )
        dataset = dataset.rebatch(batch_size)
        # Each full chunk gives AUGMENT_CHUNK batches and the last one ceil(rest / batch), so
        # the count is the same as batching directly; say so, or Keras cannot count steps.
        batches = -(-len(windows) // batch_size)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    else:
        dataset = dataset.batch(batch_size).map(lambda x, y, mask: (x, y))
    dataset = tf.data.Dataset.zip((dataset, tf.data.Dataset.counter()))

    def finish(batch, step):
        x, y = batch
        x = (x - mean) / std
        if num_classes is not None:
            y = tf.one_hot(y, num_classes)
        if mixup_alpha > 0:
            x, y = mixup(x, y, tf.stack([tf.constant(seed, tf.int64), step + (1 << 40)]), mixup_alpha)
        return x, y

    dataset = dataset.map(finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


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
