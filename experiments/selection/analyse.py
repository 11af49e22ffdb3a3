"""The selection study's tables and plot, from finished runs (run.sh runs them first).

    python experiments/selection/analyse.py outputs     # the paths.root run.sh used

For each dataset: the sweep's trials (3 subject folds + a refit each) and the default cnn run
through the same protocol. Every trial gets two selection scores from the same runs:
holdout = the val score of the fold holding the dataset's configured val subjects (fold 1),
cv = the mean over folds. Test, the same for both methods, is the mean of the fold models'
test scores (one training's test score is noisy); the refit's single test evaluation is kept
beside it (refit_*). Test is read here, after everything ran; it chose nothing.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from har.validation import spearman_interval

HERE = Path(__file__).resolve().parent
DATASETS = ("watch", "hapt")
# A trial "learned" when its selection score (val macro-F1) reaches this; below it a model
# predicts close to one class (seen: dscnn at batch 128 on watch).
LEARNED = 0.5


def trials(sweep_dir: Path) -> list[dict[str, Any]]:
    """One entry per finished configuration: its metrics.json and config.yaml.

    A trial whose config equals an earlier trial's is a replay (a sampler that restarted with
    the same seed, as the hapt study's resume did before #17) and is left out: counting it
    twice would weigh one configuration double in the rank correlation.
    """
    found, seen = [], {}
    for metrics_file in sorted((sweep_dir / "trials").glob("*/metrics.json")):
        config = metrics_file.parent / "config.yaml"
        text = config.read_text() if config.is_file() else ""
        # the run's own folder names differ between replays; the rest is the configuration
        key = "\n".join(line for line in text.splitlines() if "trials/" not in line)
        trial = int(metrics_file.parent.name)
        if key and key in seen:
            print(f"{sweep_dir.name}: trial {trial} replays trial {seen[key]} (same config): left out")
            continue
        seen[key] = trial
        found.append({"trial": trial, "metrics": json.loads(metrics_file.read_text()), "config": text})
    return found


def scores(metrics: dict[str, Any]) -> dict[str, float]:
    folds = metrics["cv/folds"]
    return {
        "holdout": folds[0]["val/macro_f1"],  # fold 1 holds the configured val subjects
        "cv": metrics["val/macro_f1"],
        "test_accuracy": metrics["folds/test/accuracy"],
        "test_macro_f1": metrics["folds/test/macro_f1"],
        "refit_test_accuracy": metrics.get("test/accuracy"),
        "refit_test_macro_f1": metrics.get("test/macro_f1"),
    }


def analyse(dataset: str, root: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    runs = trials(root / "sweeps" / f"selection-{dataset}")
    default = json.loads((root / "selection" / f"default-{dataset}" / "metrics.json").read_text())
    table = []
    for run in runs:
        figures = scores(run["metrics"])
        for method in ("holdout", "cv"):
            table.append(
                {
                    "trial": run["trial"],
                    "method": method,
                    "selection_score": figures[method],
                    "test_accuracy": figures["test_accuracy"],
                    "test_macro_f1": figures["test_macro_f1"],
                    "refit_test_accuracy": figures["refit_test_accuracy"],
                    "refit_test_macro_f1": figures["refit_test_macro_f1"],
                }
            )
    reference = scores(default)
    summary = []
    for method in ("holdout", "cv"):
        rows = [r for r in table if r["method"] == method]
        rho, low, high = spearman_interval(
            [r["selection_score"] for r in rows], [r["test_macro_f1"] for r in rows]
        )
        # sensitivity: without the trials that never learned (they are easy to rank last)
        learned = [r for r in rows if r["selection_score"] >= LEARNED]
        rho_learned, *_ = spearman_interval(
            [r["selection_score"] for r in learned], [r["test_macro_f1"] for r in learned]
        )
        selected = max(rows, key=lambda r: r["selection_score"])
        summary.append(
            {
                "dataset": dataset,
                "method": method,
                "trials": len(rows),
                "spearman": rho,
                "spearman_ci_low": low,
                "spearman_ci_high": high,
                "spearman_learned": rho_learned,
                "trials_learned": len(learned),
                "selected_trial": selected["trial"],
                "selected_test_accuracy": selected["test_accuracy"],
                "selected_test_macro_f1": selected["test_macro_f1"],
                "default_test_accuracy": reference["test_accuracy"],
                "default_test_macro_f1": reference["test_macro_f1"],
                "median_test_macro_f1": statistics.median(r["test_macro_f1"] for r in rows),
                "baseline_test_accuracy": default["folds/baseline/test/accuracy"],
                "baseline_test_macro_f1": default["folds/baseline/test/macro_f1"],
                "refit_selected_test_accuracy": selected["refit_test_accuracy"],
                "refit_selected_test_macro_f1": selected["refit_test_macro_f1"],
                "refit_default_test_macro_f1": reference["refit_test_macro_f1"],
                "refit_median_test_macro_f1": statistics.median(r["refit_test_macro_f1"] for r in rows),
                "refit_baseline_test_macro_f1": default["baseline/test/macro_f1"],
            }
        )
    return table, summary


def plot(tables: dict[str, list[dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(tables), 2, figsize=(9, 4 * len(tables)), squeeze=False)
    for row, (dataset, table) in enumerate(tables.items()):
        for column, method in enumerate(("holdout", "cv")):
            every = [r for r in table if r["method"] == method]
            # the trials that never learned sit near 0 and would squash the rest into a corner
            rows = [r for r in every if r["selection_score"] >= LEARNED]
            axis = axes[row][column]
            axis.scatter([r["selection_score"] for r in rows], [r["test_macro_f1"] for r in rows])
            for r in rows:
                axis.annotate(str(r["trial"]), (r["selection_score"], r["test_macro_f1"]), fontsize=7)
            axis.set_xlabel(f"{method} selection score (val macro-F1)")
            axis.set_ylabel("test macro-F1 (mean of fold models)")
            left_out = len(every) - len(rows)
            note = f" ({left_out} that never learned not shown)" if left_out else ""
            axis.set_title(f"{dataset}: {method}{note}", fontsize=10)
            axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main(root: Path) -> None:
    tables, summary = {}, []
    for dataset in DATASETS:
        finished = trials(root / "sweeps" / f"selection-{dataset}")
        if not finished or not (root / "selection" / f"default-{dataset}" / "metrics.json").is_file():
            print(f"{dataset}: not run yet (no finished trial or default run under {root})")
            continue
        tables[dataset], rows = analyse(dataset, root)
        write(HERE / f"trials_{dataset}.csv", tables[dataset])
        summary += rows
    if summary:
        write(HERE / "summary.csv", summary)
        plot(tables, HERE / "selection.png")
        for row in summary:
            print(
                f"{row['dataset']:>5} {row['method']:>7}: spearman {row['spearman']:+.2f} "
                f"[{row['spearman_ci_low']:+.2f}, {row['spearman_ci_high']:+.2f}] "
                f"({row['spearman_learned']:+.2f} over {row['trials_learned']} that learned)  selected {row['selected_trial']} "
                f"test {row['selected_test_macro_f1']:.3f} (refit {row['refit_selected_test_macro_f1']:.3f})  "
                f"default {row['default_test_macro_f1']:.3f} (refit {row['refit_default_test_macro_f1']:.3f})  "
                f"median {row['median_test_macro_f1']:.3f}  baseline {row['baseline_test_macro_f1']:.3f}"
            )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "outputs"))
