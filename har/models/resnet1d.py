"""ResNet for time series (Wang et al. 2017): residual blocks of three convolutions."""

from __future__ import annotations

import keras
from keras import layers

from har.models._checks import check_length, check_positive, check_rate
from har.models.layers import statistics_branch
from har.models.training_windows import TrainingWindows


def _block(x, filters: int, kernel_sizes: tuple[int, ...]):
    shortcut = x
    for index, kernel in enumerate(kernel_sizes):
        x = layers.Conv1D(filters, kernel, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        if index < len(kernel_sizes) - 1:
            x = layers.ReLU()(x)
    if shortcut.shape[-1] != filters:
        shortcut = layers.Conv1D(filters, 1, use_bias=False)(shortcut)
    shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.Add()([x, shortcut]))


def build(
    input_shape: tuple[int, int],
    num_classes: int,
    *,
    data: TrainingWindows | None = None,
    filters: tuple[int, ...] = (32, 64, 64),
    kernel_sizes: tuple[int, ...] = (7, 5, 3),
    dropout_rate: float = 0.2,
    statistics: bool = False,
    statistics_units: int = 32,
) -> keras.Model:
    """One residual block per entry of `filters`; each block convolves with `kernel_sizes`.

    Args:
        input_shape: (T, C).
        num_classes: output classes.
        data: the training windows; unused, this network fits nothing before training.
        filters: filters of each residual block.
        kernel_sizes: kernels of the convolutions inside a block.
        dropout_rate: dropout before the softmax.
        statistics: join a side input of window statistics (per channel mean, std, min, max,
            `har.models.layers.WindowStatistics`) to the pooled residual features.
        statistics_units: width of the side input's dense layer.
    """
    filters, kernel_sizes = tuple(filters), tuple(kernel_sizes)
    check_positive(
        blocks=len(filters),
        convs=len(kernel_sizes),
        statistics_units=statistics_units,
        **{f"filters[{i}]": f for i, f in enumerate(filters)},
    )
    check_rate(dropout_rate=dropout_rate)
    check_length(input_shape[0], max(kernel_sizes), f"kernel_sizes={list(kernel_sizes)}")
    inputs = keras.Input(shape=input_shape, name="window")  # (B, T, C)
    x = inputs
    for block_filters in filters:
        x = _block(x, block_filters, kernel_sizes)  # (B, T, block_filters)
    x = layers.GlobalAveragePooling1D()(x)  # (B, filters[-1])
    if statistics:
        x = layers.Concatenate()([x, statistics_branch(inputs, statistics_units)])  # (B, filters[-1] + units)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="resnet1d")
