"""The accuracy study's selection and tables (run.sh calls both).

    python experiments/accuracy/analyse.py select outputs watch   # -> "<run dir> <har-train overrides>"
    python experiments/accuracy/analyse.py summary outputs        # -> summary.csv, the ablation tables

`select` picks the ablation cell with the best mean fold validation score (macro-F1): test is
not read. `summary` reads the exported bundles' comparison (test, once per model) and copies
each ablation's paired comparison next to this file.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

from omegaconf import OmegaConf

HERE = Path(__file__).resolve().parent
CONF = HERE.parent.parent / "conf" / "experiment"


def _ablation(root: Path, dataset: str) -> Path:
    return root / "ablations" / f"accuracy-{dataset}"


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


def select(root: Path, dataset: str) -> tuple[dict[str, str], str]:
    """The cell with the best mean fold val/macro_f1 over seeds, and its har-train overrides."""
    experiment = OmegaConf.load(CONF / f"accuracy_{dataset}.yaml")
    factors = list(experiment.factors)
    results = _rows(_ablation(root, dataset) / "results.csv")
    cells: dict[tuple, list[dict[str, str]]] = {}
    for row in results:
        cells.setdefault(tuple(row[f] for f in factors), []).append(row)
    best = max(cells.values(), key=lambda rows: sum(float(r["val/macro_f1"]) for r in rows) / len(rows))
    chosen = best[0]  # the first seed's run is refit
    overrides = [
        *experiment.overrides,
        *[f"{f}={chosen[f]}" for f in factors],
        f"trainer.seed={chosen['seed']}",
    ]
    return chosen, " ".join(overrides)


def summary(root: Path) -> None:
    rows = []
    for dataset in ("watch", "hapt"):
        comparison = root / "accuracy" / f"export-{dataset}" / "bundle" / "comparison.json"
        if not comparison.is_file():
            continue
        chosen, overrides = select(root, dataset)
        metrics = json.loads((Path(chosen["run"]) / "metrics.json").read_text())
        reports = {r["name"]: r for r in json.loads(comparison.read_text())["reports"]}
        selection = f"cv {metrics['val/macro_f1']:.4f} ± {metrics['cv/val/macro_f1_std']:.4f}: {overrides}"
        for name, model in (
            ("float16", "refit"),
            ("ensemble_float16", f"ensemble of {metrics['cv/k']} folds"),
        ):
            if name not in reports:
                continue
            report = reports[name]
            rows.append(
                {
                    "dataset": dataset,
                    "model": f"{model} ({name})",
                    "params": report["extra"].get("parameters", metrics["model/params"]),
                    "size_kb": round(report["size_bytes"] / 1024, 1),
                    "latency_ms": round(report["latency_p50_ms"], 3),
                    "test_accuracy": round(report["accuracy"], 4),
                    "test_macro_f1": round(report["macro_f1"], 4),
                    "selection": selection,
                }
            )
        ablation = _ablation(root, dataset)
        for name in ("paired.csv", "summary.md", "paired.png"):
            if (ablation / name).is_file():
                shutil.copy(ablation / name, HERE / f"{Path(name).stem}_{dataset}{Path(name).suffix}")
    if rows:
        with (HERE / "summary.csv").open("w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        for row in rows:
            print(", ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    command, root = sys.argv[1], Path(sys.argv[2])
    if command == "select":
        chosen, overrides = select(root, sys.argv[3])
        print(chosen["run"], overrides)
    else:
        summary(root)
