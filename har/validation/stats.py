"""The statistics selection is judged by: rank correlation with a bootstrap interval, and
paired differences with a t interval."""

from __future__ import annotations

import numpy as np
from scipy import stats


def spearman_interval(
    x: list[float], y: list[float], *, resamples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Spearman's rank correlation of x and y, and a percentile bootstrap interval over pairs.

    Returns:
        (rho, low, high); NaN where fewer than 3 pairs, or a constant side, leave it undefined.
    """
    x_values, y_values = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x_values) < 3:
        return float("nan"), float("nan"), float("nan")
    rho = _spearman(x_values, y_values)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        index = rng.integers(0, len(x_values), len(x_values))
        value = _spearman(x_values[index], y_values[index])
        if np.isfinite(value):
            draws.append(value)
    if not draws:
        return rho, float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return rho, float(low), float(high)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def paired_interval(differences: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences and its t interval: (mean, low, high); NaN bounds below 2 pairs."""
    values = np.asarray(differences, dtype=float)
    mean = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(
        stats.t.ppf((1 + confidence) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    )
    return mean, mean - half, mean + half
