"""The statistics selection is judged by: rank correlation with a bootstrap interval, t
intervals of mean scores, and paired differences with the corrected resampled t interval.

Every interval is clipped to the range its quantity can take (a mean score to [0, 1], a
difference of two scores to [-1, 1]), and below two values there is no interval at all: the
functions return `None` bounds and a one-line reason instead of NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

# Below this many complete trials a rank correlation (and fANOVA importances) says nothing:
# 3 trials give Spearman 1.00 with the bootstrap interval [1.00, 1.00] one time in six by chance.
MIN_TRIALS_FOR_RANKING = 10

SCORE_RANGE = (0.0, 1.0)  # macro-F1, accuracy
DIFFERENCE_RANGE = (-1.0, 1.0)  # a difference of two such scores

CORRECTED_METHOD = "corrected resampled t (Nadeau & Bengio 2003)"
NAIVE_METHOD = "t"


@dataclass(frozen=True)
class Interval:
    """A mean and its confidence interval; `low`/`high` are None when there is none (`note` says why)."""

    mean: float
    low: float | None
    high: float | None
    n: int
    method: str
    note: str = ""

    def text(self, digits: int = 3, *, signed: bool = False) -> str:
        """`mean [low, high]`, or the mean alone and the reason there is no interval."""
        form = f"{{:{'+' if signed else ''}.{digits}f}}"
        if self.low is None:
            return form.format(self.mean) + (f" ({self.note})" if self.note else "")
        return f"{form.format(self.mean)} [{form.format(self.low)}, {form.format(self.high)}]"


def spearman_interval(
    x: list[float], y: list[float], *, resamples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Spearman's rank correlation of x and y, and a percentile bootstrap interval over pairs.

    Returns:
        (rho, low, high); NaN where fewer than 3 pairs, or a constant side, leave it undefined.
        Callers that report it require `MIN_TRIALS_FOR_RANKING` pairs first.
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


def t_interval(
    values: list[float],
    *,
    confidence: float = 0.95,
    bounds: tuple[float, float] = SCORE_RANGE,
    inflation: float | None = None,
    method: str = NAIVE_METHOD,
) -> Interval:
    """Mean of `values` and its t interval, clipped to `bounds`.

    Args:
        inflation: the factor the variance of the mean is multiplied by instead of 1/n
            (`corrected_paired_interval` passes Nadeau and Bengio's 1/n + n_test/n_train).

    Returns:
        An `Interval`; below two values its bounds are None and its note says why.
    """
    array = np.asarray(values, dtype=float)
    if len(array) == 0:
        return Interval(float("nan"), None, None, 0, method, "no values")
    mean = float(array.mean())
    if len(array) < 2:
        return Interval(mean, None, None, 1, method, "one value: no interval, a spread needs two")
    factor = 1 / len(array) if inflation is None else inflation
    half = float(stats.t.ppf((1 + confidence) / 2, len(array) - 1) * np.sqrt(array.var(ddof=1) * factor))
    low, high = max(bounds[0], mean - half), min(bounds[1], mean + half)
    return Interval(mean, low, high, len(array), method)


def paired_interval(differences: list[float], confidence: float = 0.95) -> Interval:
    """The naive t interval of paired differences, as if every pair were independent.

    Too narrow when pairs share training data (folds reused across seeds); kept to show by how
    much: report `corrected_paired_interval`.
    """
    return t_interval(differences, confidence=confidence, bounds=DIFFERENCE_RANGE)


def corrected_paired_interval(
    differences: list[float], *, test_train_ratio: float, confidence: float = 0.95
) -> Interval:
    """Mean paired difference with the corrected resampled t interval (Nadeau & Bengio, 2003).

    The J differences (k folds x r seeds) are not independent: every seed reuses the same
    fold partitions, and any two folds share most of their training subjects, so the plain
    t interval (variance s^2/J) is too narrow. Nadeau and Bengio's correction inflates the
    variance to s^2 (1/J + n_test/n_train), n_test/n_train being the share of validation to
    training windows in one fold; the t quantile keeps J - 1 degrees of freedom. It is the
    correction reviewers expect for repeated cross-validation (Bouckaert and Frank, 2004,
    found it keeps the type I error near its nominal level, where the plain t test does not).

    Args:
        differences: one per (seed, fold) pair, level minus reference.
        test_train_ratio: n_test / n_train of a fold (validation windows over training windows).

    Returns:
        An `Interval` clipped to [-1, 1]; below two pairs no bounds, and a note saying why.
    """
    if test_train_ratio < 0:
        raise ValueError(f"test_train_ratio={test_train_ratio}: must be >= 0")
    count = len(differences)
    if count < 2:
        interval = t_interval(differences, bounds=DIFFERENCE_RANGE, method=CORRECTED_METHOD)
        note = "one pair: no interval, too few pairs to say anything" if count == 1 else "no pairs"
        return Interval(interval.mean, None, None, count, CORRECTED_METHOD, note)
    return t_interval(
        differences,
        confidence=confidence,
        bounds=DIFFERENCE_RANGE,
        inflation=1 / count + test_train_ratio,
        method=CORRECTED_METHOD,
    )
