"""The original architecture: stacked Conv1D blocks with batch norm and pooling, global pooling, dense."""

from __future__ import annotations

import keras
from keras import layers

from har.models._checks import check_length, check_positive, check_rate
from har.models.layers import statistics_branch
from har.models.training_windows import TrainingWindows


def build(
    input_shape: tuple[int, int],
    num_classes: int,
    *,
    data: TrainingWindows | None = None,
    depth: int = 3,
    width: int = 32,
    kernel_size: int = 5,
    convs_per_block: int = 2,
    dense_units: int = 128,
    dropout_rate: float = 0.3,
    statistics: bool = False,
    statistics_units: int = 32,
) -> keras.Model:
    """Conv blocks whose width doubles per block (`width`, 2x, 4x, ...), each halving time.

    Args:
        input_shape: (T, C) window length and channels.
        num_classes: output classes.
        data: the training windows; unused, this network fits nothing before training.
        depth: number of conv blocks; each ends in max pooling by 2.
        width: filters of the first block.
        kernel_size: temporal kernel of every convolution.
        convs_per_block: convolutions (conv, batch norm, ReLU) before each pooling.
        dense_units: width of the dense layer before the softmax; 0 for none.
        dropout_rate: dropout after each block and the dense layer.
        statistics: join a side input of window statistics (per channel mean, std, min, max,
            `har.models.layers.WindowStatistics`) to the pooled convolutional features.
        statistics_units: width of the side input's dense layer.
    """
    check_positive(
        depth=depth,
        width=width,
        kernel_size=kernel_size,
        convs_per_block=convs_per_block,
        statistics_units=statistics_units,
    )
    check_rate(dropout_rate=dropout_rate)
    check_length(input_shape[0], 2**depth, f"model depth={depth} (pooling by 2 per block)")
    inputs = keras.Input(shape=input_shape, name="window")  # (B, T, C)
    x = inputs
    for block in range(depth):
        filters = width * 2**block
        for _ in range(convs_per_block):
            x = layers.Conv1D(filters, kernel_size, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        x = layers.MaxPooling1D(2)(x)  # (B, T / 2^(block+1), filters)
        x = layers.Dropout(dropout_rate)(x)
    x = layers.GlobalAveragePooling1D()(x)  # (B, filters)
    if statistics:
        x = layers.Concatenate()([x, statistics_branch(inputs, statistics_units)])  # (B, filters + units)
    if dense_units:
        x = layers.Dense(dense_units, activation="relu")(x)
        x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn")
