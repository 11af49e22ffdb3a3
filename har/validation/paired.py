"""Paired comparison of ablation levels: each level against a reference level, over folds x seeds.

Two levels of a factor are compared where everything else is equal (the other factors, the
seed, the fold), so the subject mix and the seed's luck cancel out of each difference. The
selection-grade figure is the mean difference of fold validation scores with its 95% t
interval; the same pairing of test scores is kept beside it, for reading only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from har.io import atomic_write
from har.metrics import TEST_MACRO_F1, VAL_MACRO_F1
from har.validation.stats import corrected_paired_interval


def fold_scores(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Per fold: its number, val and test macro-F1 (one 'fold', the val split, for holdout)."""
    if "cv/folds" in metrics:
        return [
            {"fold": f["fold"], "val": f[VAL_MACRO_F1], "test": f.get(TEST_MACRO_F1)}
            for f in metrics["cv/folds"]
        ]
    return [{"fold": 1, "val": metrics[VAL_MACRO_F1], "test": metrics.get(TEST_MACRO_F1)}]


def compare(
    rows: list[dict[str, Any]],
    factors: list[str],
    reference: dict[str, Any],
    *,
    test_train_ratio: float,
) -> list[dict[str, Any]]:
    """Every non-reference level of every factor against the factor's reference level.

    Args:
        rows: one per run: the factor values, `seed` and `folds` (from `fold_scores`).
        factors: the factor keys.
        reference: the reference level of each factor.
        test_train_ratio: validation over training windows in one fold (for the correction).

    Returns:
        One row per (factor, level, combination of the other factors) with `pairs`, the mean
        val difference and its corrected interval (empty bounds and a `note` below two
        pairs), the interval's method, and the mean test difference (reading only).
    """
    index = {
        (tuple(row[f] for f in factors), row["seed"], fold["fold"]): fold
        for row in rows
        for fold in row["folds"]
    }
    results = []
    for position, factor in enumerate(factors):
        levels = list(dict.fromkeys(row[factor] for row in rows))
        others = list(dict.fromkeys(tuple(v for i, v in enumerate(key[0]) if i != position) for key in index))
        for level in levels:
            if level == reference[factor]:
                continue
            for other in others:
                val, test = _differences(index, position, level, reference[factor], other)
                if not val:
                    continue
                interval = corrected_paired_interval(val, test_train_ratio=test_train_ratio)
                results.append(
                    {
                        "factor": factor,
                        "level": level,
                        "reference": reference[factor],
                        "others": ", ".join(
                            f"{f}={v}" for f, v in zip([f for f in factors if f != factor], other)
                        ),
                        "pairs": len(val),
                        "val_diff": interval.mean,
                        "val_diff_low": interval.low,
                        "val_diff_high": interval.high,
                        "interval": interval.method,
                        "note": interval.note,
                        "test_diff": sum(test) / len(test) if test else None,
                    }
                )
    return results


def _differences(index, position, level, reference, other) -> tuple[list[float], list[float]]:
    def key_with(value):
        values = list(other)
        values.insert(position, value)
        return tuple(values)

    val, test = [], []
    for (cell, seed, fold), scores in index.items():
        if cell != key_with(level):
            continue
        base = index.get((key_with(reference), seed, fold))
        if base is None:
            continue
        val.append(scores["val"] - base["val"])
        if scores["test"] is not None and base["test"] is not None:
            test.append(scores["test"] - base["test"])
    return val, test


def plot(results: list[dict[str, Any]], path: Path, title: str) -> Path:
    """`figure` written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = figure(results, title)
    atomic_write(path, lambda p: drawn.savefig(p, dpi=110, format="png"), suffix=".png")
    plt.close(drawn)
    return path


def figure(results: list[dict[str, Any]], title: str):
    """Each level's mean val difference from its reference, with the 95% interval (a notebook shows it).

    The axis stays within [-1, 1], the range a difference of two scores can take.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 1.2 + 0.45 * max(1, len(results))))
    for row_number, row in enumerate(results):
        low, high = row["val_diff_low"], row["val_diff_high"]
        if low is not None:  # an interval: at least two pairs
            axis.plot([low, high], [row_number, row_number], color="tab:blue")
        axis.plot([row["val_diff"]], [row_number], "o", color="tab:blue")
    axis.axvline(0, color="grey", linewidth=1)
    left, right = axis.get_xlim()
    axis.set_xlim(max(-1.0, left), min(1.0, right))
    labels = [
        f"{r['factor'].split('.')[-1]}={r['level']} vs {r['reference']}"
        + (f" ({r['others']})" if r["others"] else "")
        for r in results
    ]
    axis.set_yticks(range(len(results)), labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("val macro-F1 difference, paired over folds x seeds (95% corrected resampled t)")
    axis.set_title(title)
    axis.grid(alpha=0.3, axis="x")
    figure.tight_layout()
    return figure
