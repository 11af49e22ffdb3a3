"""Sweep throughput: 2 workers vs 1 worker on this machine, trials per minute, on watch.

    python experiments/benchmarks/sweep_workers.py [--trials 6] [--epochs 8]

Both sweeps run in this one process invocation with the same trials budget: fixed-length
trials (no pruning, no early stopping) of the default cnn, random sampling of the learning
rate, W&B off. Target: ratio >= 1.6.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import tempfile
import time
from pathlib import Path

from har.config import compose
from har.sweep import run_sweep


def sweep_minutes(workers: int, trials: int, epochs: int, root: Path) -> float:
    space = root / "space.yaml"
    space.write_text(
        "params:\n  optimizer.learning_rate:\n    type: float\n    low: 1.0e-3\n    high: 3.0e-3\n    log: true\n"
    )
    cfg = compose(
        "sweep",
        [
            f"paths.root={root}",
            f"paths.output_dir={root / f'workers{workers}'}",
            f"paths.cache_dir={root / 'cache'}",
            "logger=none",
            "sweep.export=false",
            f"sweep.workers={workers}",
            f"sweep.n_trials={trials}",
            f"sweep.study=bench-{workers}",
            f"sweep.search_space={space}",
            "sweep.pruner._target_=har.sweep.factories.no_pruning",
            "~sweep.pruner.n_startup_trials",
            "~sweep.pruner.n_warmup_steps",
            "sweep.sampler._target_=har.sweep.factories.random",
            "~sweep.sampler.n_startup_trials",
            f'sweep.train_overrides=["trainer.epochs={epochs}","trainer.patience=0"]',
        ],
    )
    started = time.perf_counter()
    run_sweep(cfg)
    return (time.perf_counter() - started) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        compose("train", ["paths.output_dir=x"])  # fail fast on a broken config
        one = sweep_minutes(1, args.trials, args.epochs, root)
        two = sweep_minutes(2, args.trials, args.epochs, root)
    print(
        f"1 worker:  {args.trials / one:.2f} trials/min ({one:.1f} min for {args.trials} trials of {args.epochs} epochs)"
    )
    print(f"2 workers: {args.trials / two:.2f} trials/min ({two:.1f} min)")
    print(f"ratio 2 workers / 1 worker: {one / two:.2f}  (target >= 1.6)")


if __name__ == "__main__":
    main()
