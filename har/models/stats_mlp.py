"""The forest's exportable cousin: the forest baseline's window statistics into a small MLP, in the graph."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from har.models._checks import check_length, check_positive, check_rate
from har.models.layers import Standardise, WindowFeatures
from har.models.statistics import window_features
from har.models.training_windows import TrainingWindows


def build(
    input_shape: tuple[int, int],
    num_classes: int,
    *,
    data: TrainingWindows | None = None,
    units: int = 256,
    depth: int = 2,
    dropout_rate: float = 0.2,
) -> keras.Model:
    """Normalised windows -> raw units -> window statistics -> fixed scaling -> MLP -> softmax.

    The statistics (`har.models.statistics`: per channel and sensor magnitude, mean, std, min,
    max, percentiles) are those the forest baseline sees, so they are taken in raw units: the
    model undoes the run's normaliser first, from `data`'s statistics stored in the graph (an
    exported model still takes normalised windows, as every har model does). The features are
    then standardised with their mean and spread on the training windows, fixed: the MLP sees
    features of unit scale whatever the sensor's units, and val/test windows change nothing.

    Args:
        input_shape: (T, C) window length and channels.
        num_classes: output classes.
        data: the training windows (raw units, channel names, normaliser); required, the
            feature scaling is fitted on them.
        units: width of every hidden dense layer.
        depth: hidden blocks (dense, ReLU, dropout).
        dropout_rate: dropout after every hidden block.
    """
    check_positive(units=units, depth=depth)
    check_rate(dropout_rate=dropout_rate)
    check_length(input_shape[0], 2, "the window statistics (a spread over time)")
    if data is None:
        raise ValueError("stats_mlp fits its feature scaling on training windows: build it with data=")
    if len(data.channels) != input_shape[1]:
        raise ValueError(
            f"stats_mlp: {len(data.channels)} channel names {list(data.channels)} for {input_shape[1]} channels"
        )
    inputs = keras.Input(shape=input_shape, name="window")  # (B, T, C) normalised
    x = inputs
    if data.mean is not None:  # raw = normalised * std + mean, the run's normaliser undone
        x = layers.Rescaling(_vector(data.std), _vector(data.mean), dtype="float32", name="raw_units")(x)
    x = WindowFeatures(list(data.channels), dtype="float32", name="window_features")(x)  # (B, F)
    scaling = Standardise(name="feature_scaling")
    x = scaling(x)  # (B, F)
    scaling.fit(window_features(data.X, data.channels))
    for block in range(depth):
        x = layers.Dense(units, activation="relu", name=f"hidden_{block}")(x)  # (B, units)
        x = layers.Dropout(dropout_rate, name=f"dropout_{block}")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="stats_mlp")


def _vector(values: np.ndarray) -> np.ndarray:
    """A (C,) float32 array: what Rescaling stores in its config, so a checkpoint reloads with it."""
    return np.asarray(values, dtype=np.float32).reshape(-1)
