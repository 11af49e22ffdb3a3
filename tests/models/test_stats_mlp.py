"""model=stats_mlp: statistics in raw units in the graph, scaling fitted on train only, LiteRT agrees."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from har.export.convert import make_interpreter, run_tflite, to_tflite
from har.models import TrainingWindows
from har.models.statistics import window_features
from har.models.stats_mlp import build

CHANNELS = ("ax", "ay", "az", "gx", "gy", "gz")


def raw_windows(seed: int, n: int = 40, length: int = 50) -> np.ndarray:
    """Raw-unit windows: gravity on z in g, angular rates in rad/s."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, length, 6)) * [0.2, 0.2, 0.2, 1.5, 1.5, 1.5] + [0, 0, 1, 0, 0, 0]).astype(
        np.float32
    )


def training(X: np.ndarray) -> TrainingWindows:
    """What a run hands the builder: train windows and the normaliser fitted on them."""
    return TrainingWindows(X, CHANNELS, {}, X.mean(axis=(0, 1)), X.std(axis=(0, 1)))


def test_it_needs_the_training_windows_and_matching_channels():
    with pytest.raises(ValueError, match="stats_mlp fits its feature scaling on training windows"):
        build((50, 6), 4)
    with pytest.raises(ValueError, match=r"stats_mlp: 3 channel names \['ax', 'ay', 'az'\] for 6 channels"):
        build((50, 6), 4, data=dataclasses.replace(training(raw_windows(0)), channels=CHANNELS[:3]))
    with pytest.raises(ValueError, match="units=0: expected a positive value"):
        build((50, 6), 4, data=training(raw_windows(0)), units=0)


def test_statistics_in_the_graph_are_those_of_the_raw_windows():
    train = training(raw_windows(0))
    model = build((50, 6), 4, data=train)
    features = keras.Model(model.input, model.get_layer("window_features").output)
    unseen = raw_windows(1)
    normalised = (unseen - train.mean) / train.std  # what the model is fed
    # The normaliser undone in float32 and done again: about 1e-6 of each value's size.
    np.testing.assert_allclose(
        features.predict(normalised, verbose=0), window_features(unseen, CHANNELS), rtol=1e-4, atol=1e-5
    )
    scaled = keras.Model(model.input, model.get_layer("feature_scaling").output).predict(
        train.normalised(), verbose=0
    )
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-4)  # standardised on the training windows
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=1e-3)


def test_a_feature_constant_on_train_keeps_scale_one():
    X = raw_windows(0)
    X[:, :, 5] = 0.0  # a gyroscope axis that never moved: its spread and percentiles are constant
    model = build((50, 6), 4, data=training(X))
    moving = raw_windows(1)
    normalised = (moving - X.mean(axis=(0, 1))) / np.maximum(X.std(axis=(0, 1)), 1e-3)
    scaled = keras.Model(model.input, model.get_layer("feature_scaling").output).predict(
        normalised, verbose=0
    )
    assert np.isfinite(scaled).all() and np.abs(scaled).max() < 1e4


def test_only_the_training_windows_shape_the_model():
    """Val and test windows never reach the builder: a different train split changes the fixed
    layers, anything else leaves the same weights computing the same outputs."""
    X = raw_windows(0)
    first = build((50, 6), 4, data=training(X))
    again = build((50, 6), 4, data=training(X.copy()))
    again.set_weights(first.get_weights())
    probe = raw_windows(2)
    np.testing.assert_array_equal(again.predict(probe, verbose=0), first.predict(probe, verbose=0))
    other = build((50, 6), 4, data=training(raw_windows(3)))
    other.set_weights(first.get_weights())
    assert not np.allclose(other.predict(probe, verbose=0), first.predict(probe, verbose=0))


def test_litert_agrees_with_keras_in_float32_and_float16():
    train = training(raw_windows(0, n=64))
    model = build((50, 6), 4, data=train)
    rng = np.random.default_rng(0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(train.normalised(), rng.integers(0, 4, 64), epochs=3, verbose=0)  # weights off their init
    X = ((raw_windows(5) - train.mean) / train.std).astype(np.float32)
    expected = model.predict(X, verbose=0)
    float32 = run_tflite(make_interpreter(to_tflite(model)), X)
    np.testing.assert_allclose(float32, expected, atol=1e-5)  # same float32 arithmetic, op for op
    # float16 weights (the MLP's and the stored normaliser and scaling): about 1e-3 of a probability.
    float16 = run_tflite(make_interpreter(to_tflite(model, "float16")), X)
    np.testing.assert_allclose(float16, expected, atol=1e-2)
    assert (float16.argmax(axis=1) == expected.argmax(axis=1)).mean() >= 0.95
