"""har's minirocket next to aeon's MiniRocket, on the same windows and subject split, in one run.

    python experiments/benchmarks/peers.py --datasets watch hapt --aeon-python /work/aeon-venv/bin/python
    python experiments/benchmarks/peers.py --aeon-only            # aeon's side alone
    python experiments/benchmarks/peers.py --har-only --datasets watch --epochs 2   # a smoke run

Runs in har's venv. aeon pins numpy<2.4 through numba, so it lives in a venv of its own
(`--aeon-python`, default `$HAR_AEON_PYTHON`; README in this folder) and its side runs there as
`peers_aeon.py`, by subprocess, on windows this script writes to a temporary npz.

Per dataset: har's loader (`load_windows` on `compose("train", [data=DATA, *--har-override])`,
the default subject split of DESIGN.md) gives the train, val and test windows in raw units;
har's train-fitted per-channel mean and std go with them. aeon's `MiniRocketClassifier`
(aeon's defaults, the paper's MiniRocket + ridge CV) fits on train+val standardised by those
statistics, on one thread (`peers_aeon.py`). har's model is trained by `har-train` (val
chooses the checkpoint) and exported by `har-export` to float32 and float16 TFLite, each
scored on the test subjects and timed in LiteRT on one thread (`comparison.json`).

Reported per row: test accuracy and macro-F1; fit seconds (aeon: wall of `fit`; har: wall of
the `har-train` process, TensorFlow's start and the data loading included); size (aeon: the
pickled classifier; har: the .tflite file); latency per window on one thread (aeon:
`predict_proba` of one window, p50 after warm-up; har: LiteRT `invoke` of one window, p50),
and per window in a batch (aeon: one call on the test split; har: batches of 256). Then the
issue's ratios: accuracy har - aeon in points, and latency aeon / har. Writes
`peers.json` and `peers.md` under `--root`.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from har.config import compose
from har.data import WindowedData, load_windows
from har.io import write_text
from har.metrics import classification_metrics

HERE = Path(__file__).resolve().parent
AEON_VENV_HELP = (
    "make it with: python3.11 -m venv /work/aeon-venv && /work/aeon-venv/bin/pip install aeon "
    "(then pass --aeon-python /work/aeon-venv/bin/python or set HAR_AEON_PYTHON)"
)
GOAL_POINTS, GOAL_SPEEDUP = -0.5, 10.0  # har within 0.5 accuracy points of aeon, >= 10x faster


def write_windows(dataset: str, overrides: list[str], root: Path, path: Path) -> WindowedData:
    """har's windows of `dataset`, raw units, and the train-fitted normaliser, to `path` (npz)."""
    cfg = compose("train", [f"data={dataset}", f"paths.root={root}", *overrides])
    data = load_windows(cfg.data)
    np.savez(
        path,
        **{
            f"{key}_{name}": getattr(data.split(name), key)
            for name in ("train", "val", "test")
            for key in "Xy"
        },
        mean=data.normaliser.mean,
        std=data.normaliser.std,
        class_names=np.array(data.class_names),
        channels=np.array(data.channels),
    )
    return data


def run_aeon(aeon_python: str, windows: Path, data: WindowedData, seed: int, calls: int) -> dict:
    """`peers_aeon.py` in the aeon venv; its report, scored again here with `har.metrics`."""
    out = windows.with_suffix(".aeon.json")
    command = [aeon_python, str(HERE / "peers_aeon.py"), "--windows", str(windows), "--out", str(out)]
    command += ["--seed", str(seed), "--latency-calls", str(calls)]
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)  # har's worktree is no business of the aeon venv
    subprocess.run(command, check=True, env=env)
    report = json.loads(out.read_text())
    probabilities = np.asarray(report.pop("probabilities"))
    metrics = classification_metrics("test", data.test.y, probabilities, data.class_names)
    if abs(metrics["test/accuracy"] - report["accuracy"]) > 1e-9:
        raise RuntimeError(f"{out}: accuracy {report['accuracy']} but har scores {metrics['test/accuracy']}")
    report["macro_f1"] = metrics["test/macro_f1"]
    return report


def _script(name: str) -> str:
    """A console script of har's venv (the one running this file)."""
    path = Path(sys.executable).parent / name
    if not path.is_file():
        raise SystemExit(f"{path}: no such script; install har in this venv (pip install -e .)")
    return str(path)


def run_har(dataset: str, model: str, epochs: int | None, overrides: list[str], root: Path) -> dict:
    """`har-train` then `har-export` (float32, float16); the run's and the bundle's figures.

    A run folder that already holds `metrics.json` is reused (its recorded wall time too), and
    so is an export that holds `bundle/comparison.json`."""
    run_dir, export_dir = root / dataset / f"har-{model}-run", root / dataset / f"har-{model}-export"
    wall_file = root / dataset / f"har-{model}-train-wall.json"
    if not (run_dir / "metrics.json").is_file():
        command = [_script("har-train"), f"data={dataset}", f"model={model}", "validation=holdout"]
        command += ["logger=none", "baseline=none", f"paths.root={root}", f"paths.output_dir={run_dir}"]
        command += [f"trainer.epochs={epochs}"] if epochs else []
        started = time.perf_counter()
        subprocess.run(command + overrides, check=True)
        write_text(wall_file, json.dumps({"seconds": time.perf_counter() - started, "command": command}))
    comparison_file = export_dir / "bundle" / "comparison.json"
    if not comparison_file.is_file():
        _export(run_dir, export_dir, root)
    comparison = json.loads(comparison_file.read_text())
    run_metrics = json.loads((run_dir / "metrics.json").read_text())
    return {
        "run_dir": str(run_dir),
        "train_wall_seconds": json.loads(wall_file.read_text())["seconds"] if wall_file.is_file() else None,
        "run_seconds": run_metrics.get("seconds"),
        "epochs_trained": run_metrics.get("epochs_trained"),
        "best_epoch": run_metrics.get("best_epoch"),
        "test_windows": comparison["test_windows"],
        "variants": {r["name"]: r for r in comparison["reports"] if r["name"] in ("float32", "float16")},
    }


def _export(run_dir: Path, export_dir: Path, root: Path) -> None:
    """`har-export` of the run to float32 and float16, compared on the test split."""
    subprocess.run(
        [
            _script("har-export"),
            f"run_dir={run_dir}",
            "logger=none",
            f"paths.root={root}",
            f"paths.output_dir={export_dir}",
            "variants=[float32,float16]",
            "guard.variants=[]",  # report a float16 that loses accuracy; do not refuse it
        ],
        check=True,
    )


def rows_of(dataset: str, aeon: dict | None, har_side: dict | None, model: str) -> list[dict]:
    """Table rows: aeon's, then har's float32 and float16, with the ratios against aeon."""
    rows = []
    if aeon:
        rows.append(
            {
                "dataset": dataset,
                "model": "aeon MiniRocket",
                "accuracy": aeon["accuracy"],
                "macro_f1": aeon["macro_f1"],
                "fit_s": aeon["fit_seconds"],
                "size_kb": aeon["size_bytes"] / 1024,
                "latency_ms": aeon["latency_p50_ms"],
                "batch_ms": aeon["batch_ms_per_window"],
            }
        )
    for variant in ("float32", "float16") if har_side else ():
        report = har_side["variants"][variant]
        row = {
            "dataset": dataset,
            "model": f"har {model} {variant}",
            "accuracy": report["accuracy"],
            "macro_f1": report["macro_f1"],
            "fit_s": har_side["train_wall_seconds"],
            "size_kb": report["size_bytes"] / 1024,
            "latency_ms": report["latency_p50_ms"],
            "batch_ms": 1000 / report["throughput_windows_s"],
        }
        if aeon:
            row["accuracy_vs_aeon_points"] = 100 * (row["accuracy"] - aeon["accuracy"])
            row["latency_aeon_over_har"] = aeon["latency_p50_ms"] / row["latency_ms"]
        rows.append(row)
    return rows


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown(rows: list[dict], command: str) -> str:
    lines = [
        "# har's minirocket vs aeon's MiniRocket, same windows and subject split",
        "",
        f"`{command}`",
        "",
        "| dataset | model | test accuracy | test macro-F1 | fit s | size kB "
        "| latency ms/window, 1 thread (p50) | batch ms/window | accuracy har - aeon (points) "
        "| latency aeon / har |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratios = (
            _number(r.get("accuracy_vs_aeon_points"), "+.2f"),
            _number(r.get("latency_aeon_over_har"), ".1f"),
        )
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} | "
            f"{_number(r['fit_s'], '.1f')} | {r['size_kb']:,.0f} | {r['latency_ms']:.3f} | "
            f"{r['batch_ms']:.3f} | {ratios[0]} | {ratios[1]} |"
        )
    goals = []
    for r in rows:
        if "accuracy_vs_aeon_points" in r:
            points, speedup = r["accuracy_vs_aeon_points"], r["latency_aeon_over_har"]
            goals.append(
                f"- {r['dataset']}, {r['model']}: accuracy {points:+.2f} points "
                f"({'met' if points >= GOAL_POINTS else 'missed'}), {speedup:.1f}x faster per window "
                f"({'met' if speedup >= GOAL_SPEEDUP else 'missed'})"
            )
    if goals:
        lines += [
            "",
            "Goals: within 0.5 points of aeon's accuracy, at least 10x faster per window:",
            "",
            *goals,
        ]
    return "\n".join(lines) + "\n"


def aeon_python(given: str | None) -> str:
    """The aeon venv's Python, checked: it must import aeon."""
    if not given:
        raise SystemExit(f"no aeon venv: pass --aeon-python or set HAR_AEON_PYTHON; {AEON_VENV_HELP}")
    if not Path(given).is_file():
        raise SystemExit(f"--aeon-python {given}: no such file; {AEON_VENV_HELP}")
    probe = subprocess.run([given, "-c", "import aeon"], capture_output=True, text=True)
    if probe.returncode:
        raise SystemExit(f"--aeon-python {given}: cannot import aeon; {AEON_VENV_HELP}")
    return given


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["watch", "hapt"])
    parser.add_argument("--model", default="minirocket", help="har's model config (conf/model)")
    parser.add_argument("--epochs", type=int, default=None, help="trainer.epochs (default: the config's)")
    parser.add_argument("--har-override", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--root", type=Path, default=Path("outputs/peers"), help="har's runs, peers.json/.md")
    parser.add_argument("--aeon-python", default=os.environ.get("HAR_AEON_PYTHON"))
    parser.add_argument("--seed", type=int, default=0, help="aeon's random_state")
    parser.add_argument("--latency-calls", type=int, default=300, help="aeon's single-window calls timed")
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--har-only", action="store_true")
    side.add_argument("--aeon-only", action="store_true")
    args = parser.parse_args()
    python = None if args.har_only else aeon_python(args.aeon_python)
    root = args.root.resolve()
    results, rows = {}, []
    with tempfile.TemporaryDirectory() as folder:
        for dataset in args.datasets:
            print(f"== {dataset}", flush=True)
            windows = Path(folder) / f"{dataset}.npz"
            data = write_windows(dataset, args.har_override, root, windows)
            sizes = {name: len(data.split(name)) for name in ("train", "val", "test")}
            print(f"windows {sizes}; subjects {data.subjects}", flush=True)
            aeon = None if args.har_only else run_aeon(python, windows, data, args.seed, args.latency_calls)
            har_side = (
                None if args.aeon_only else run_har(dataset, args.model, args.epochs, args.har_override, root)
            )
            if har_side and har_side["test_windows"] != sizes["test"]:
                scored = har_side["test_windows"]
                raise SystemExit(f"{dataset}: har's export scored {scored} test windows, not {sizes['test']}")
            results[dataset] = {"windows": sizes, "subjects": data.subjects, "aeon": aeon, "har": har_side}
            rows += rows_of(dataset, aeon, har_side, args.model)
    command = " ".join(["python experiments/benchmarks/peers.py", *sys.argv[1:]])
    table = markdown(rows, command)
    write_text(root / "peers.md", table)
    write_text(
        root / "peers.json", json.dumps({"command": command, "rows": rows, "results": results}, indent=2)
    )
    print(table)


if __name__ == "__main__":
    main()
