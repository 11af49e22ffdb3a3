"""The small-data and model-families studies' choices and tables (run.sh calls both).

    python experiments/small_data/analyse.py refits outputs watch  # -> "<fraction> <model>" lines
    python experiments/small_data/analyse.py summary outputs       # -> both summary.csv files, plot

The family of a (dataset, fraction) cell is chosen by its mean fold validation macro-F1 over
3 subject folds; nothing here reads test to choose. Test is read once per refit (the chosen
family at every fraction, every family at the full fraction) and once per exported model.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from har.validation import corrected_paired_interval

HERE = Path(__file__).resolve().parent
FAMILIES_DIR = HERE.parent / "model_families"
FRACTIONS = ("0.05", "0.1", "0.25", "1.0")
MODELS = ("inception1d", "minirocket", "stats_mlp")


def _metrics(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def _folds(run: Path) -> list[dict]:
    return [_metrics(p) for p in sorted((run / "folds").glob("fold-*/metrics.json"))]


def cells(root: Path, dataset: str, fraction: str) -> dict[str, dict]:
    """The cross-validated metrics of every family that ran at (dataset, fraction)."""
    found = {}
    for model in MODELS:
        metrics = _metrics(root / "small_data" / dataset / fraction / model / "metrics.json")
        if "val/macro_f1" in metrics:
            found[model] = metrics
    return found


def chosen(root: Path, dataset: str, fraction: str) -> str | None:
    """The family with the best mean fold val/macro_f1 (validation only)."""
    found = cells(root, dataset, fraction)
    return max(found, key=lambda m: found[m]["val/macro_f1"]) if found else None


def refits(root: Path, dataset: str) -> list[tuple[str, str]]:
    """(fraction, family) to refit: the chosen one everywhere, every family at the full data."""
    wanted = []
    for fraction in FRACTIONS:
        best = chosen(root, dataset, fraction)
        if best is None:
            continue
        others = [m for m in cells(root, dataset, fraction) if m != best] if fraction == "1.0" else []
        wanted += [(fraction, model) for model in [best, *others]]
    return wanted


def paired_with_forest(run: Path) -> dict:
    """The family minus the forest, paired over the folds (validation macro-F1)."""
    folds = _folds(run)
    differences = [f["val/macro_f1"] - f["baseline/val/macro_f1"] for f in folds]
    ratios = [len(f["subjects"]["val"]) / len(f["subjects"]["train"]) for f in folds]
    interval = corrected_paired_interval(differences, test_train_ratio=float(np.mean(ratios)))
    return {
        "cv_minus_forest": round(interval.mean, 4),
        "cv_minus_forest_low": None if interval.low is None else round(interval.low, 4),
        "cv_minus_forest_high": None if interval.high is None else round(interval.high, 4),
    }


def small_data_rows(root: Path) -> list[dict]:
    rows = []
    for dataset in ("watch", "hapt"):
        for fraction in FRACTIONS:
            best = chosen(root, dataset, fraction)
            if best is None:
                continue
            run = root / "small_data" / dataset / fraction / best
            refit = _metrics(run / "metrics.json")
            found = cells(root, dataset, fraction)
            rows.append(
                {
                    "dataset": dataset,
                    "train_fraction": float(fraction),
                    "chosen_model": best,
                    "chosen_test_macro_f1": round(refit.get("test/macro_f1", float("nan")), 4),
                    "forest_test_macro_f1": round(refit.get("baseline/test/macro_f1", float("nan")), 4),
                    "chosen_cv_macro_f1": round(refit["val/macro_f1"], 4),
                    "forest_cv_macro_f1": round(refit["baseline/val/macro_f1"], 4),
                    **paired_with_forest(run),
                    **{f"cv_{m}": round(found[m]["val/macro_f1"], 4) for m in found},
                    "refit_epochs": refit.get("refit/epochs", ""),
                }
            )
    return rows


def family_rows(root: Path) -> list[dict]:
    rows = []
    for dataset in ("watch", "hapt"):
        found = cells(root, dataset, "1.0")
        best = chosen(root, dataset, "1.0")
        for model, metrics in found.items():
            comparison = root / "model_families" / f"export-{dataset}-{model}" / "bundle" / "comparison.json"
            if not comparison.is_file():
                continue
            report = {r["name"]: r for r in json.loads(comparison.read_text())["reports"]}["float16"]
            verdict = "chosen" if model == best else "not chosen"
            rows.append(
                {
                    "dataset": dataset,
                    "model": f"{model} refit (float16)",
                    "params": report["extra"].get("parameters", metrics.get("model/params")),
                    "size_kb": round(report["size_bytes"] / 1024, 1),
                    "latency_ms": round(report["latency_p50_ms"], 3),
                    "test_accuracy": round(report["accuracy"], 4),
                    "test_macro_f1": round(report["macro_f1"], 4),
                    "selection": (
                        f"{verdict} by cv {metrics['val/macro_f1']:.4f} ± {metrics['cv/val/macro_f1_std']:.4f} "
                        f"({len(found)} families, 3 subject folds, seed 0)"
                    ),
                    "chosen": str(model == best).lower(),
                }
            )
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    fields = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {path} ({len(rows)} rows)")


def plot(rows: list[dict], path: Path) -> None:
    """Per dataset: each family's CV and the forest's CV by train fraction, and the chosen's test."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = sorted({r["dataset"] for r in rows}, reverse=True)
    figure, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4), squeeze=False)
    for axis, dataset in zip(axes[0], datasets):
        mine = [r for r in rows if r["dataset"] == dataset]
        fractions = [r["train_fraction"] for r in mine]
        for model in MODELS:
            values = [r.get(f"cv_{model}", np.nan) for r in mine]
            axis.plot(fractions, values, marker="o", label=f"{model} (cv)")
        axis.plot(fractions, [r["forest_cv_macro_f1"] for r in mine], "k--", marker="s", label="forest (cv)")
        axis.plot(
            fractions, [r["chosen_test_macro_f1"] for r in mine], "C3:", marker="*", label="chosen (test)"
        )
        axis.plot(
            fractions, [r["forest_test_macro_f1"] for r in mine], "k:", marker="x", label="forest (test)"
        )
        axis.set(xscale="log", xlabel="data.train_fraction", ylabel="macro-F1", title=dataset)
        axis.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(f"wrote {path}")


def summary(root: Path) -> None:
    small = small_data_rows(root)
    if small:
        write_csv(HERE / "summary.csv", small)
        plot(small, HERE / "small_data.png")
    families = family_rows(root)
    if families:
        write_csv(FAMILIES_DIR / "summary.csv", families)


if __name__ == "__main__":
    command, root = sys.argv[1], Path(sys.argv[2])
    if command == "refits":
        for fraction, model in refits(root, sys.argv[3]):
            print(fraction, model)
    else:
        summary(root)
