"""aeon's MiniRocketClassifier on windows written by `peers.py`; runs in the aeon venv, not har's.

    NUMBA_NUM_THREADS=1 /work/aeon-venv/bin/python experiments/benchmarks/peers_aeon.py \
        --windows <tmp>/watch.npz --out <tmp>/watch-aeon.json

`peers.py` runs it by subprocess (its `--aeon-python`): aeon pins numpy<2.4 through numba, so
it cannot be installed next to har, and this script imports nothing of har. Its input is the
npz `peers.py` writes (raw-unit windows (N, T, C) of har's train, val and test subjects, and
har's train-fitted per-channel mean and std); its output a JSON report.

The model is aeon's own `MiniRocketClassifier` with aeon's defaults (MiniRocket with 10,000
kernels, `StandardScaler(with_mean=False)` on the features, `RidgeClassifierCV(alphas=
np.logspace(-3, 3, 10))`: the paper's pipeline) except `random_state` and `n_jobs=1`. It fits
on the train and validation windows together (aeon has no use for a validation split: ridge
CV chooses alpha by leave-one-out on what it fits), standardised per channel by har's
train-fitted statistics as har's models see them (aeon does not normalise the series), in
aeon's (N, C, T) layout. Everything runs on one thread: numba (`NUMBA_NUM_THREADS=1`, set
before numba is imported, and `n_jobs=1`) and BLAS (`OMP/OPENBLAS/MKL_NUM_THREADS=1`).

Reported: test accuracy and macro-F1 (over the classes present in the test labels, as har
counts them), the test probabilities (so the caller scores them its own way), fit seconds
(numba compiles first, outside the time), the pickled classifier's size, and `predict_proba`
latency: p50 / p95 of single-window calls after warm-up, and the per-window time of one call
on the whole test split.
"""

from __future__ import annotations

import os

for _name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy and numba load: one thread everywhere

import argparse
import json
import pickle
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np


def _aeon_layout(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Raw (N, T, C) -> standardised (N, C, T) float32, aeon's layout."""
    return np.ascontiguousarray(((X - mean) / std).astype(np.float32).transpose(0, 2, 1))


def _scores(y: np.ndarray, probabilities: np.ndarray, num_classes: int) -> tuple[float, float]:
    """Accuracy, and macro-F1 over the classes present in `y` (as `har.metrics` counts it)."""
    from sklearn.metrics import f1_score

    predicted = probabilities.argmax(axis=1)
    per_class = f1_score(y, predicted, labels=list(range(num_classes)), average=None, zero_division=0)
    return float(np.mean(predicted == y)), float(np.mean(per_class[sorted(set(y.tolist()))]))


def _latency_ms(call, calls: int, warmup: int) -> tuple[float, float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    milliseconds = np.asarray(times) * 1000
    return float(np.percentile(milliseconds, 50)), float(np.percentile(milliseconds, 95))


def run(windows: Path, seed: int, calls: int, warmup: int) -> dict:
    from aeon.classification.convolution_based import MiniRocketClassifier

    with np.load(windows) as arrays:
        data = {key: arrays[key] for key in arrays.files}
    mean, std = data["mean"], data["std"]
    num_classes = len(data["class_names"])
    X_fit = _aeon_layout(np.concatenate([data["X_train"], data["X_val"]]), mean, std)
    y_fit = np.concatenate([data["y_train"], data["y_val"]])
    X_test, y_test = _aeon_layout(data["X_test"], mean, std), data["y_test"]
    # numba compiles (or loads from its cache) on first use: not part of the fit's time
    MiniRocketClassifier(n_kernels=84, random_state=seed, n_jobs=1).fit(X_fit[:50], y_fit[:50])
    model = MiniRocketClassifier(random_state=seed, n_jobs=1)
    started = time.perf_counter()
    model.fit(X_fit, y_fit)
    fit_seconds = time.perf_counter() - started
    if not np.array_equal(model.classes_, np.arange(num_classes)):
        raise SystemExit(
            f"{windows}: fit labels {model.classes_.tolist()} do not cover all {num_classes} classes"
        )
    started = time.perf_counter()
    probabilities = model.predict_proba(X_test)  # one-hot: RidgeClassifierCV has no probabilities
    batch_ms = (time.perf_counter() - started) * 1000 / len(X_test)
    accuracy, macro_f1 = _scores(y_test, probabilities, num_classes)
    p50, p95 = _latency_ms(lambda: model.predict_proba(X_test[:1]), calls, warmup)
    transform = model.pipeline_.steps[0][1]
    return {
        "model": "aeon MiniRocketClassifier",
        "versions": {name: version(name) for name in ("aeon", "numpy", "numba", "scikit-learn")},
        "settings": {
            "random_state": seed,
            "n_jobs": 1,
            "n_kernels": transform.n_kernels_,
            "features": int(transform.parameters[-1].size),
            "fit_on": "train+val",
            "input": "standardised by har's train-fitted per-channel mean and std, (N, C, T)",
            "alpha": float(model.estimator_.alpha_),
        },
        "fit_windows": len(X_fit),
        "test_windows": len(X_test),
        "accuracy": accuracy,
        "macro_f1": macro_f1,
        "fit_seconds": fit_seconds,
        "size_bytes": len(pickle.dumps(model)),
        "latency_p50_ms": p50,
        "latency_p95_ms": p95,
        "latency_calls": calls,
        "batch_ms_per_window": batch_ms,
        "probabilities": probabilities.tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=Path, required=True, help="the npz peers.py wrote")
    parser.add_argument("--out", type=Path, required=True, help="the JSON report")
    parser.add_argument("--seed", type=int, default=0, help="random_state")
    parser.add_argument("--latency-calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    if not args.windows.is_file():
        parser.error(f"--windows {args.windows}: no such file")
    report = run(args.windows, args.seed, args.latency_calls, args.warmup)
    partial = args.out.with_name(args.out.name + ".partial")
    partial.write_text(json.dumps(report) + "\n")
    partial.replace(args.out)  # nothing half-written
    shown = {key: value for key, value in report.items() if key != "probabilities"}
    print(json.dumps(shown, indent=2), file=sys.stderr)


if __name__ == "__main__":
    main()
