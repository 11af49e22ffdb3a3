"""Depthwise-separable CNN: the phone-sized variant (few parameters, few multiply-adds)."""

from __future__ import annotations

import keras
from keras import layers

from har.models._checks import check_length, check_positive, check_rate
from har.models.training_windows import TrainingWindows


def build(
    input_shape: tuple[int, int],
    num_classes: int,
    *,
    data: TrainingWindows | None = None,
    depth: int = 4,
    width: int = 32,
    kernel_size: int = 7,
    dropout_rate: float = 0.2,
) -> keras.Model:
    """A standard stem convolution, then `depth` separable blocks, pooling by 2 every other block.

    Args:
        input_shape: (T, C).
        num_classes: output classes.
        data: the training windows; unused, this network fits nothing before training.
        depth: separable blocks.
        width: filters of the stem; doubles at every pooling.
        kernel_size: temporal kernel of the depthwise convolutions.
        dropout_rate: dropout before the softmax.
    """
    check_positive(depth=depth, width=width, kernel_size=kernel_size)
    check_rate(dropout_rate=dropout_rate)
    pools = depth // 2
    check_length(input_shape[0], 2**pools, f"model depth={depth} (pooling by 2 every other block)")
    inputs = keras.Input(shape=input_shape, name="window")  # (B, T, C)
    x = layers.Conv1D(width, 3, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    filters = width
    for block in range(depth):
        if block % 2 == 1:
            filters *= 2
        x = layers.SeparableConv1D(filters, kernel_size, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if block % 2 == 1:
            x = layers.MaxPooling1D(2)(x)  # (B, T / 2^(block // 2 + 1), filters)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="dscnn")
