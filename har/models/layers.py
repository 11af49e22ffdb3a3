"""Layers har's builders share. Each is registered with Keras (package `har`), so a checkpoint
that uses one loads through `har.models.load`, and each converts to builtin TFLite ops."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers, ops

from har.models.statistics import feature_count, sensor_triads, window_statistics


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


@keras.saving.register_keras_serializable(package="har")
class WindowFeatures(layers.Layer):
    """The forest baseline's window statistics in the graph: (B, T, C) -> (B, F).

    Per channel and per sensor magnitude (`<sensor>x/y/z` triads of `channels`): mean, std,
    min, max and percentiles, exactly `har.models.statistics.window_features`. Fed raw units,
    it computes what the forest sees.
    """

    def __init__(self, channels: Sequence[str], **kwargs):
        super().__init__(**kwargs)
        self.channels = [str(name) for name in channels]
        self.triads = sensor_triads(self.channels)

    def call(self, x):
        return window_statistics(x, self.triads)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], feature_count(self.channels))

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


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
        """Mean and spread of `features` (N, F), in float64.

        A feature constant on train (a channel that never moved) keeps a spread of 1: divided
        by ~0 it would blow up on any val/test window where it does move.
        """
        features = np.asarray(features, np.float64)
        mean, std = features.mean(axis=0), features.std(axis=0)
        std = np.where(std > 1e-6 * np.maximum(1.0, np.abs(mean)), std, 1.0)
        self.set_weights([mean.astype(np.float32), std.astype(np.float32)])
