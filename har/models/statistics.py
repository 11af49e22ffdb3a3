"""Window statistics, defined once: the forest baseline's features and the statistics model's input.

Per channel and per 3-axis sensor magnitude: mean, standard deviation (population), minimum,
maximum and the percentiles `PERCENTILES` (numpy's default linear interpolation). Written with
`keras.ops`, so the same code runs inside a model (`har.models.layers.WindowFeatures`, which
converts to builtin TFLite ops: the sort along time is TOPK_V2) and on numpy arrays for the
forest (`window_features`): what the forest was scored on is what the network computes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from keras import ops

PERCENTILES = (10, 25, 50, 75, 90)
STATISTICS = ("mean", "std", "min", "max", *(f"p{q}" for q in PERCENTILES))
CHUNK = 2048  # windows per call on numpy input: bounds memory on large splits, fast enough


def sensor_triads(channels: Sequence[str]) -> list[list[int]]:
    """Channel indices of each 3-axis sensor present: names `<sensor>x`, `<sensor>y`, `<sensor>z`."""
    channels = list(channels)
    triads = []
    for index, name in enumerate(channels):
        if name.endswith("x"):
            stem = name[:-1]
            rest = [f"{stem}y", f"{stem}z"]
            if all(other in channels for other in rest):
                triads.append([index, *(channels.index(other) for other in rest)])
    return triads


def feature_count(channels: Sequence[str]) -> int:
    """F, the length of one window's statistics: one block of signals per statistic."""
    return len(STATISTICS) * (len(channels) + len(sensor_triads(channels)))


def window_statistics(x, triads: Sequence[Sequence[int]]):
    """The statistics of a (B, T, C) tensor -> (B, F), in `STATISTICS` order, signals within each.

    The signals are the C channels, then one magnitude per triad. T must be static (it is in
    a model's graph and on arrays): the percentiles' positions in the sorted window are constants.
    """
    length = x.shape[1]
    magnitudes = [
        ops.sqrt(sum(ops.square(x[:, :, index]) for index in triad))[:, :, None]  # (B, T, 1)
        for triad in triads
    ]
    signals = ops.concatenate([x, *magnitudes], axis=2) if magnitudes else x  # (B, T, S)
    mean = ops.mean(signals, axis=1)  # (B, S)
    spread = ops.sqrt(ops.mean(ops.square(signals - mean[:, None, :]), axis=1))  # population std
    # Sorted along time: sort works on the last axis (TFLite's TOPK_V2 with k = T).
    ordered = ops.sort(ops.transpose(signals, (0, 2, 1)), axis=-1)  # (B, S, T)
    parts = [mean, spread, ops.min(signals, axis=1), ops.max(signals, axis=1)]
    for q in PERCENTILES:
        # numpy's "linear" method: position q/100 * (T - 1), between its two neighbours.
        position = q / 100 * (length - 1)
        low = int(np.floor(position))
        high = min(low + 1, length - 1)
        fraction = position - low
        below, above = ordered[:, :, low], ordered[:, :, high]  # (B, S)
        parts.append(below + (above - below) * fraction)
    return ops.concatenate(parts, axis=1)  # (B, len(STATISTICS) * S)


def window_features(X: np.ndarray, channels: Sequence[str]) -> np.ndarray:
    """Per channel and per sensor magnitude: mean, std, min, max and percentiles, on arrays.

    Args:
        X: (N, T, C) raw-unit windows.
        channels: the C channel names (triads of `<sensor>x/y/z` give magnitudes).

    Returns:
        (N, F) float32 features, F = `feature_count(channels)`.
    """
    X = np.asarray(X, dtype=np.float32)
    triads = sensor_triads(channels)
    if len(X) == 0:
        return np.zeros((0, feature_count(channels)), dtype=np.float32)
    chunks = [
        ops.convert_to_numpy(window_statistics(ops.convert_to_tensor(X[start : start + CHUNK]), triads))
        for start in range(0, len(X), CHUNK)
    ]
    return np.concatenate(chunks).astype(np.float32)
