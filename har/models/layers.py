"""Layers har's builders share. Each is registered with Keras (package `har`), so a checkpoint
that uses one loads through `har.models.load`, and each converts to builtin TFLite ops."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops


@keras.saving.register_keras_serializable(package="har")
class WindowStatistics(layers.Layer):
    """Per channel mean, standard deviation, minimum and maximum over time: (B, T, C) -> (B, 4C).

    What a forest on window statistics sees, handed to a network beside its convolutions:
    the mean carries the orientation of gravity (a small tilt separates sitting from standing),
    which global pooling after ReLUs tends to wash out.
    """

    def call(self, x):
        mean = ops.mean(x, axis=1)  # (B, C)
        spread = ops.sqrt(ops.mean(ops.square(x - mean[:, None, :]), axis=1) + 1e-6)
        return ops.concatenate([mean, spread, ops.min(x, axis=1), ops.max(x, axis=1)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 4 * input_shape[-1])


def statistics_branch(inputs, units: int):
    """The statistics side input: window statistics, batch-normalised, one dense layer."""
    x = WindowStatistics(name="window_statistics")(inputs)  # (B, 4C)
    x = layers.BatchNormalization(name="statistics_norm")(x)
    return layers.Dense(units, activation="relu", name="statistics_dense")(x)  # (B, units)


@keras.saving.register_keras_serializable(package="har")
class Standardise(layers.Layer):
    """(B, F) -> (x - mean) / std with fixed statistics, fitted by the builder on training
    features (`fit`) and saved with the model: the scaling a fitted transform's head needs."""

    def build(self, input_shape):
        features = input_shape[-1]
        self.mean = self.add_weight(shape=(features,), initializer="zeros", trainable=False, name="mean")
        self.std = self.add_weight(shape=(features,), initializer="ones", trainable=False, name="std")

    def call(self, x):
        return (ops.cast(x, "float32") - self.mean) / self.std

    def fit(self, features: np.ndarray) -> None:
        """Statistics of `features` (N, F); a constant feature keeps a std of 1 (it stays 0)."""
        std = features.std(axis=0)
        self.set_weights([features.mean(axis=0), np.where(std > 1e-6, std, 1.0)])
