"""The window statistics defined once: on arrays (the forest) and in the graph (the statistics model)."""

from __future__ import annotations

import keras
import numpy as np

from har.models import load
from har.models.layers import WindowFeatures
from har.models.statistics import PERCENTILES, feature_count, sensor_triads, window_features

CHANNELS = ["ax", "ay", "az", "gx", "gy", "gz", "pressure"]


def reference(X: np.ndarray, channels: list[str]) -> np.ndarray:
    """The statistics in plain numpy, as the forest baseline computed them before they moved here."""
    magnitudes = [np.linalg.norm(X[:, :, triad], axis=2)[:, :, None] for triad in sensor_triads(channels)]
    signals = np.concatenate([X, *magnitudes], axis=2).astype(np.float64)  # (N, T, C + sensors)
    parts = [
        signals.mean(1),
        signals.std(1),
        signals.min(1),
        signals.max(1),
        *np.percentile(signals, PERCENTILES, axis=1),
    ]
    return np.concatenate(parts, axis=1)


def windows(n: int = 50, length: int = 37) -> np.ndarray:
    """Raw-unit windows of unequal offsets and spreads; an odd length, so percentiles interpolate."""
    rng = np.random.default_rng(3)
    return (
        rng.normal(size=(n, length, len(CHANNELS))) * [0.3, 0.3, 0.3, 2, 2, 2, 5] + [0, 0, 1, 0, 0, 0, 1000]
    ).astype(np.float32)


def test_sensor_triads_are_the_xyz_channels_of_one_sensor():
    assert sensor_triads(CHANNELS) == [[0, 1, 2], [3, 4, 5]]
    assert sensor_triads(["ax", "ay", "az"]) == [[0, 1, 2]]
    assert sensor_triads(["ax", "ay", "gz"]) == []  # no complete triad, no magnitude
    assert feature_count(CHANNELS) == 9 * (7 + 2)


def test_features_on_arrays_equal_numpy_statistics():
    X = windows()
    features = window_features(X, CHANNELS)
    assert features.shape == (50, feature_count(CHANNELS)) and features.dtype == np.float32
    # float32 arithmetic: relative to each feature's size (the pressure channel sits near 1000).
    np.testing.assert_allclose(features, reference(X, CHANNELS), rtol=1e-5, atol=2e-5)


def test_features_on_arrays_chunk_without_changing_a_value():
    X = np.random.default_rng(0).normal(size=(2500, 8, 6)).astype(np.float32)  # more than one chunk
    features = window_features(X, CHANNELS[:6])
    np.testing.assert_array_equal(features[-10:], window_features(X[-10:], CHANNELS[:6]))
    assert window_features(X[:0], CHANNELS[:6]).shape == (0, feature_count(CHANNELS[:6]))


def test_the_layer_computes_the_same_features_and_reloads(tmp_path):
    X = windows()
    inputs = keras.Input(shape=X.shape[1:])
    model = keras.Model(inputs, WindowFeatures(CHANNELS, name="window_features")(inputs))
    np.testing.assert_allclose(
        model.predict(X, verbose=0), window_features(X, CHANNELS), rtol=1e-6, atol=1e-6
    )
    model.save(tmp_path / "features.keras")
    again = load(tmp_path / "features.keras", compile=False)
    assert again.get_layer("window_features").channels == CHANNELS
    np.testing.assert_array_equal(again.predict(X, verbose=0), model.predict(X, verbose=0))


def test_two_samples_are_enough():
    X = windows(length=2)
    np.testing.assert_allclose(window_features(X, CHANNELS), reference(X, CHANNELS), rtol=1e-5, atol=2e-5)
