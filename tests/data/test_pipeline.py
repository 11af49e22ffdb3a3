"""The tf.data pipeline: batches, normalisation, augmentation on train only, mixup, repeatability."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from har.data.dataset import load_windows
from har.data.pipeline import AUGMENT_CHUNK, make_dataset, mixup


def test_batches_are_normalised_and_complete(compose_train):
    data = load_windows(compose_train().data)
    dataset = make_dataset(data.val, data.normaliser, batch_size=64, training=False)
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in dataset])
    X = np.concatenate(xs)
    assert X.shape == data.val.X.shape and X.dtype == np.float32
    np.testing.assert_allclose(X, data.normaliser(data.val.X), atol=1e-5)
    np.testing.assert_array_equal(np.concatenate(ys), data.val.y)


def test_training_order_is_seeded(compose_train):
    data = load_windows(compose_train().data)

    def first_labels(seed):
        dataset = make_dataset(data.train, data.normaliser, batch_size=32, training=True, seed=seed)
        return next(iter(dataset))[1].numpy()

    np.testing.assert_array_equal(first_labels(1), first_labels(1))
    assert not np.array_equal(first_labels(1), first_labels(2))


def test_augmentation_is_refused_outside_training(compose_train):
    data = load_windows(compose_train().data)
    with pytest.raises(ValueError, match="training split only"):
        make_dataset(data.val, data.normaliser, batch_size=8, training=False, augment=lambda x, s: x)


def test_augmentation_sees_raw_units_and_a_seed_per_chunk_and_epoch(compose_train):
    """Each chunk of AUGMENT_CHUNK batches is augmented once, on raw units, with its own seed:
    (run seed, epoch << 32 | chunk), so every chunk of every epoch draws anew."""
    data = load_windows(compose_train().data)
    batch_size, run_seed, epochs = 16, 3, 2

    def stamp(x, seed):  # every window becomes its seed: run seed x 10^6 + epoch x 10^3 + chunk
        epoch, chunk = seed[1] // 2**32, seed[1] % 2**32
        return tf.zeros_like(x) + tf.cast(seed[0] * 10**6 + epoch * 10**3 + chunk, tf.float32)

    dataset = make_dataset(
        data.train,
        data.normaliser,
        batch_size=batch_size,
        training=True,
        seed=run_seed,
        epochs=epochs,
        augment=stamp,
    )
    # undo the normalisation: augmentation must have happened before it, on raw units
    stamps = [np.round(x.numpy() * data.normaliser.std + data.normaliser.mean) for x, _ in dataset]
    seen = []
    for batch in stamps:
        assert len(np.unique(batch)) == 1  # one seed for the whole batch, every channel alike
        seen.append(int(batch.flat[0]))
    batches = -(-len(data.train) // batch_size)
    assert batches > 3 * AUGMENT_CHUNK  # several chunks, not just the first
    expected = [
        run_seed * 10**6 + epoch * 10**3 + index // AUGMENT_CHUNK
        for epoch in range(epochs)
        for index in range(batches)
    ]
    assert seen == expected  # chunk by chunk, epoch by epoch, in order


def test_augmented_batches_match_plain_batching_in_count_and_size(compose_train):
    from har.augment import build_pipeline

    cfg = compose_train("augment=light")
    data = load_windows(cfg.data)
    plain = make_dataset(data.train, data.normaliser, batch_size=64, training=True)
    augmented = make_dataset(
        data.train, data.normaliser, batch_size=64, training=True, augment=build_pipeline(cfg.augment)
    )
    sizes = [len(y) for _, y in augmented]
    assert sizes == [len(y) for _, y in plain] and int(augmented.cardinality()) == len(sizes)
    assert sum(sizes) == len(data.train)


def test_augment_mask_leaves_unmasked_windows_as_they_are(compose_train):
    data = load_windows(compose_train().data)
    mask = np.arange(len(data.train)) % 2 == 0

    def shift(x, seed):
        return x + 100.0

    dataset = make_dataset(
        data.train,
        data.normaliser,
        batch_size=len(data.train),
        training=True,
        augment=shift,
        augment_mask=mask,
    )
    x = next(iter(dataset))[0].numpy()
    # the batch is shuffled: compare the sorted per-window sums with the expected ones
    expected = np.where(
        mask,
        data.normaliser(data.train.X + 100.0).sum(axis=(1, 2)),
        data.normaliser(data.train.X).sum(axis=(1, 2)),
    )
    np.testing.assert_allclose(np.sort(x.sum(axis=(1, 2))), np.sort(expected), rtol=1e-4, atol=1e-2)
    with pytest.raises(ValueError, match="augment_mask has 3 entries"):
        make_dataset(
            data.train, data.normaliser, batch_size=8, training=True, augment=shift, augment_mask=mask[:3]
        )


def test_augmentation_draws_differ_between_epochs_and_repeat_for_a_seed(compose_train):
    data = load_windows(compose_train().data)

    def draw(x, seed):  # each window's value is the draw alone: independent of the order
        return tf.zeros_like(x) + tf.random.stateless_uniform((tf.shape(x)[0], 1, 1), seed)

    def first_batches(seed):
        dataset = make_dataset(
            data.train, data.normaliser, batch_size=32, training=True, seed=seed, epochs=3, augment=draw
        )
        per_epoch = -(-len(data.train) // 32)
        batches = [x.numpy() for x, _ in dataset]
        assert len(batches) == 3 * per_epoch
        return [batches[epoch * per_epoch] for epoch in range(3)]

    epochs = first_batches(5)
    assert not np.allclose(epochs[0], epochs[1]) and not np.allclose(epochs[1], epochs[2])
    for again, first in zip(first_batches(5), epochs):
        np.testing.assert_array_equal(again, first)
    assert not np.allclose(first_batches(6)[0], epochs[0])


def test_each_epoch_has_its_own_order_and_every_window_once(compose_train):
    data = load_windows(compose_train().data)
    dataset = make_dataset(data.train, data.normaliser, batch_size=64, training=True, seed=1, epochs=2)
    per_epoch = -(-len(data.train) // 64)
    labels = [y.numpy() for _, y in dataset]
    first, second = np.concatenate(labels[:per_epoch]), np.concatenate(labels[per_epoch:])
    assert sorted(first.tolist()) == sorted(second.tolist()) == sorted(data.train.y.tolist())
    assert not np.array_equal(first, second)


def test_mixup_makes_convex_combinations():
    x = tf.constant(np.random.default_rng(0).normal(size=(32, 10, 6)).astype(np.float32))
    y = tf.one_hot(np.arange(32) % 4, 4)
    x_mix, y_mix = mixup(x, y, tf.constant([0, 1], tf.int64), alpha=0.4)
    np.testing.assert_allclose(y_mix.numpy().sum(axis=1), 1, atol=1e-6)
    assert (y_mix.numpy() >= 0).all() and not np.array_equal(x_mix.numpy(), x.numpy())


def test_mixup_in_the_pipeline_gives_soft_labels(compose_train):
    data = load_windows(compose_train().data)
    dataset = make_dataset(
        data.train, data.normaliser, batch_size=64, training=True, num_classes=7, mixup_alpha=0.4
    )
    _, y = next(iter(dataset))
    assert (y.numpy().max(axis=1) < 1).any()
