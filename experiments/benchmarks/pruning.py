"""Pruning savings: total epochs trained with the median pruner vs without, same trials and seed.

    python experiments/benchmarks/pruning.py [--trials 12] [--epochs 15]

Both sweeps use the default search space, the TPE sampler with seed 0, 2 workers, on watch,
W&B off. Target: epochs ratio <= 0.6 with the best val/macro_f1 within 1 point.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import tempfile
from pathlib import Path

from optuna.trial import TrialState

from har.config import compose
from har.sweep import run_sweep


def sweep(pruner: list[str], name: str, trials: int, epochs: int, root: Path) -> tuple[int, float]:
    cfg = compose(
        "sweep",
        [
            f"paths.root={root}",
            f"paths.output_dir={root / name}",
            f"paths.cache_dir={root / 'cache'}",
            "logger=none",
            "sweep.export=false",
            f"sweep.n_trials={trials}",
            f"sweep.study=bench-{name}",
            f'sweep.train_overrides=["trainer.epochs={epochs}","trainer.patience=0"]',
            *pruner,
        ],
    )
    study = run_sweep(cfg).study
    trials_done = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    epochs_trained = sum(int(t.user_attrs.get("epochs_trained", 0)) for t in trials_done)
    best = max(t.value for t in trials_done if t.state == TrialState.COMPLETE)
    return epochs_trained, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pruned_epochs, pruned_best = sweep(
            ["sweep.pruner.n_startup_trials=3", "sweep.pruner.n_warmup_steps=3"],
            "median",
            args.trials,
            args.epochs,
            root,
        )
        full_epochs, full_best = sweep(
            [
                "sweep.pruner._target_=har.sweep.factories.no_pruning",
                "~sweep.pruner.n_startup_trials",
                "~sweep.pruner.n_warmup_steps",
            ],
            "none",
            args.trials,
            args.epochs,
            root,
        )
    print(f"no pruning:    {full_epochs} epochs, best val/macro_f1 {full_best:.4f}")
    print(f"median pruner: {pruned_epochs} epochs, best val/macro_f1 {pruned_best:.4f}")
    print(
        f"epochs ratio pruned / unpruned: {pruned_epochs / full_epochs:.2f}  (target <= 0.6); "
        f"best val/macro_f1 difference: {100 * (pruned_best - full_best):+.2f} points (target within 1)"
    )


if __name__ == "__main__":
    main()
