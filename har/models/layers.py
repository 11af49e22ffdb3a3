"""Layers har's builders share. Each is registered with Keras (package `har`), so a checkpoint
that uses one loads through `har.models.load`, and each converts to builtin TFLite ops."""

from __future__ import annotations

from collections.abc import Sequence

import keras
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
