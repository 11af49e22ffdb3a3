"""The accuracy study's selection and tables (run.sh calls both).

    python experiments/accuracy/analyse.py select outputs watch   # -> "<run dir> <har-train overrides>"
    python experiments/accuracy/analyse.py selection outputs watch  # -> the selection study's CV choice
    python experiments/accuracy/analyse.py summary outputs        # -> summary.csv, the ablation tables

`select` picks the ablation cell with the best mean fold validation score (macro-F1);
`selection` the selection study's trial with the best mean fold score (experiments/selection),
a second candidate when that study ran under the same root. Neither reads test. `summary`
chooses between the candidates by the same fold mean, reads the exported bundles' comparison
(test, once per model) and copies each ablation's paired comparison next to this file.
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


def selection_trial(root: Path, dataset: str) -> tuple[str, str] | None:
    """The selection study's trial with the best mean fold val/macro_f1: (run dir, overrides)."""
    table = root / "sweeps" / f"selection-{dataset}" / "trials.csv"
    if not table.is_file():
        return None
    complete = [r for r in _rows(table) if r["state"] == "COMPLETE" and r["run_dir"]]
    if not complete:
        return None
    best = max(complete, key=lambda r: float(r["value/val/macro_f1"]))
    return best["run_dir"], best["overrides"]


def _candidates(root: Path, dataset: str) -> list[tuple[str, Path, Path]]:
    """(description, run dir, export folder) of every candidate that was exported."""
    found = []
    chosen, overrides = select(root, dataset)
    found.append(
        (f"accuracy ablation cell: {overrides}", Path(chosen["run"]), root / "accuracy" / f"export-{dataset}")
    )
    trial = selection_trial(root, dataset)
    if trial:
        export = root / "accuracy" / f"export-{dataset}-selection"
        found.append((f"selection study trial {Path(trial[0]).name}: {trial[1]}", Path(trial[0]), export))
    return [c for c in found if (c[2] / "bundle" / "comparison.json").is_file()]


def _cv(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


def summary(root: Path) -> None:
    rows = []
    for dataset in ("watch", "hapt"):
        candidates = _candidates(root, dataset)
        if not candidates:
            continue
        # the choice between candidates is by the mean fold validation score, as within each
        chosen = max(candidates, key=lambda c: _cv(c[1])["val/macro_f1"])
        for description, run, export in candidates:
            metrics = _cv(run)
            reports = {
                r["name"]: r
                for r in json.loads((export / "bundle" / "comparison.json").read_text())["reports"]
            }
            verdict = "chosen" if (description, run, export) == chosen else "not chosen"
            selection = (
                f"{verdict} by cv {metrics['val/macro_f1']:.4f} ± {metrics['cv/val/macro_f1_std']:.4f} "
                f"({len(candidates)} candidates); {description}"
            )
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
    elif command == "selection":
        trial = selection_trial(root, sys.argv[3])
        if trial is None:
            sys.exit(1)
        print(trial[0])
    else:
        summary(root)
