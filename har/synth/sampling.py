"""How many synthetic windows of each class `synth.ratio` asks for, and the labels to decode."""

from __future__ import annotations

import numpy as np

from har.config import ConfigError

BALANCES = ("balanced", "proportional")


def class_counts(y_train: np.ndarray, num_classes: int, ratio: float, balance: str) -> np.ndarray:
    """Synthetic windows per class for `ratio x n_train` in total.

    `balanced` gives every class the same share; `proportional` follows the train labels.
    Remainders go, by largest fraction then by class index, so the counts always add up to
    `round(ratio x n_train)`.
    """
    if ratio < 0:
        raise ConfigError(f"synth.ratio={ratio}: expected a value >= 0")
    if balance not in BALANCES:
        raise ConfigError(f"synth.balance={balance!r}: expected one of {', '.join(BALANCES)}")
    total = int(round(ratio * len(y_train)))
    if balance == "balanced":
        shares = np.full(num_classes, 1 / num_classes)
    else:
        shares = np.bincount(y_train, minlength=num_classes) / len(y_train)
    exact = shares * total
    counts = np.floor(exact).astype(np.int64)
    order = np.lexsort((np.arange(num_classes), -(exact - counts)))  # largest remainder first
    counts[order[: total - counts.sum()]] += 1
    return counts


def labels_for(counts: np.ndarray) -> np.ndarray:
    """(sum(counts),) labels, class by class."""
    return np.repeat(np.arange(len(counts)), counts).astype(np.int64)
