"""A small InceptionTime (Ismail Fawaz et al. 2020): inception modules with residual shortcuts."""

from __future__ import annotations

import keras
from keras import layers

from har.models._checks import check_length, check_positive, check_rate
from har.models.training_windows import TrainingWindows


def _module(x, filters: int, kernel_sizes: tuple[int, ...], bottleneck: int):
    if x.shape[-1] > bottleneck:
        x = layers.Conv1D(bottleneck, 1, padding="same", use_bias=False)(x)
    branches = [layers.Conv1D(filters, k, padding="same", use_bias=False)(x) for k in kernel_sizes]
    pooled = layers.MaxPooling1D(3, strides=1, padding="same")(x)
    branches.append(layers.Conv1D(filters, 1, padding="same", use_bias=False)(pooled))
    x = layers.Concatenate()(branches)  # (B, T, filters * (len(kernel_sizes) + 1))
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build(
    input_shape: tuple[int, int],
    num_classes: int,
    *,
    data: TrainingWindows | None = None,
    depth: int = 3,
    filters: int = 16,
    kernel_sizes: tuple[int, ...] = (5, 11, 23),
    bottleneck: int = 16,
    residual_every: int = 3,
    dropout_rate: float = 0.1,
) -> keras.Model:
    """`depth` inception modules; a shortcut adds the input back every `residual_every` modules.

    Args:
        input_shape: (T, C).
        num_classes: output classes.
        data: the training windows; unused, this network fits nothing before training.
        depth: inception modules.
        filters: filters per branch (the module outputs 4x this with three kernels).
        kernel_sizes: kernels of the parallel convolutions.
        bottleneck: 1x1 convolution width before the branches.
        residual_every: modules between shortcuts.
        dropout_rate: dropout before the softmax.
    """
    kernel_sizes = tuple(kernel_sizes)
    check_positive(depth=depth, filters=filters, bottleneck=bottleneck, residual_every=residual_every)
    check_rate(dropout_rate=dropout_rate)
    check_length(input_shape[0], max(kernel_sizes), f"kernel_sizes={list(kernel_sizes)}")
    inputs = keras.Input(shape=input_shape, name="window")  # (B, T, C)
    x = shortcut = inputs
    for index in range(depth):
        x = _module(x, filters, kernel_sizes, bottleneck)
        if (index + 1) % residual_every == 0:
            projected = layers.Conv1D(x.shape[-1], 1, padding="same", use_bias=False)(shortcut)
            projected = layers.BatchNormalization()(projected)
            x = shortcut = layers.ReLU()(layers.Add()([x, projected]))
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="inception1d")
