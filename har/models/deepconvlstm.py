"""DeepConvLSTM (Ordóñez & Roggen 2016): convolutions, then LSTMs, unrolled for TFLite."""

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
    conv_layers: int = 4,
    filters: int = 32,
    kernel_size: int = 5,
    lstm_layers: int = 2,
    lstm_units: int = 64,
    pool: int = 2,
    dropout_rate: float = 0.3,
) -> keras.Model:
    """Conv1D feature extractors, an optional temporal pooling, stacked LSTMs, softmax.

    The LSTMs are built with `unroll=True`: a fixed-length loop of builtin ops, which
    TFLite converts without Select TF ops (a `while` loop would need them).

    Args:
        input_shape: (T, C).
        num_classes: output classes.
        data: the training windows; unused, this network fits nothing before training.
        conv_layers: convolutions before the LSTMs.
        filters: filters per convolution.
        kernel_size: temporal kernel.
        lstm_layers: stacked LSTMs; the last returns only its final state.
        lstm_units: units per LSTM.
        pool: max pooling factor before the LSTMs (shortens the unrolled loop); 1 for none.
        dropout_rate: dropout before the LSTMs and the softmax.
    """
    check_positive(
        conv_layers=conv_layers,
        filters=filters,
        kernel_size=kernel_size,
        lstm_layers=lstm_layers,
        lstm_units=lstm_units,
        pool=pool,
    )
    check_rate(dropout_rate=dropout_rate)
    check_length(input_shape[0], max(kernel_size, pool), f"kernel_size={kernel_size}, pool={pool}")
    inputs = keras.Input(shape=input_shape, name="window")  # (B, T, C)
    x = inputs
    for _ in range(conv_layers):
        x = layers.Conv1D(filters, kernel_size, padding="same", activation="relu")(x)
    if pool > 1:
        x = layers.MaxPooling1D(pool)(x)  # (B, T / pool, filters)
    x = layers.Dropout(dropout_rate)(x)
    for index in range(lstm_layers):
        last = index == lstm_layers - 1
        x = layers.LSTM(lstm_units, return_sequences=not last, unroll=True)(x)
    x = layers.Dropout(dropout_rate)(x)  # (B, lstm_units)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="deepconvlstm")
