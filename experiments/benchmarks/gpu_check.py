"""GPU check: run on a GPU machine to see har's sweep workers use every GPU, and how fast.

    python experiments/benchmarks/gpu_check.py [--trials-per-worker 4] [--epochs 5] [--dry-run]

Three short sweeps on watch of the same fixed-length trials (default cnn, random learning
rate, no pruning, no early stopping, W&B off), `--trials-per-worker` trials per worker: one
worker on the first GPU; one worker per GPU (`sweep.workers_per_gpu=1`); and the default
packing (`sweep.workers_per_gpu=auto`, the rule in har/sweep/placement.py).
Checks that every GPU trained trials (each trial's `device`) and none failed, and prints
trials per minute for each, with the ratios to one worker. Exit code 1 when a check fails,
2 when no GPU is found.

`--dry-run` runs the same sweeps with `sweep.objective=dry_run` (sampled, not trained;
`--seconds` per trial): it checks the placement without TensorFlow or a GPU, and runs in CI
with a fake `nvidia-smi`.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import sys
import tempfile
import time
from pathlib import Path

from optuna.trial import TrialState

from har.config import compose
from har.sweep import run_sweep
from har.sweep.placement import plan_workers
from har.training import visible_gpus


def sweep(root: Path, name: str, trials: int, placement: list[str], args: argparse.Namespace):
    """One sweep; returns (trials per minute, its trials)."""
    space = root / "space.yaml"
    space.write_text(
        "params:\n  optimizer.learning_rate:\n    type: float\n    low: 1.0e-3\n    high: 3.0e-3\n    log: true\n"
    )
    objective = (
        ["sweep.objective._target_=har.sweep.objective.dry_run", f"+sweep.objective.seconds={args.seconds}"]
        if args.dry_run
        else []
    )
    cfg = compose(
        "sweep",
        [
            f"paths.root={root}",
            f"paths.output_dir={root / name}",
            f"paths.cache_dir={root / 'cache'}",
            "logger=none",
            "sweep.export=false",
            f"sweep.n_trials={trials}",
            f"sweep.study=gpu-check-{name}",
            f"sweep.search_space={space}",
            "sweep.pruner._target_=har.sweep.factories.no_pruning",
            "~sweep.pruner.n_startup_trials",
            "~sweep.pruner.n_warmup_steps",
            "sweep.sampler._target_=har.sweep.factories.random",
            "~sweep.sampler.n_startup_trials",
            f'sweep.train_overrides=["trainer.epochs={args.epochs}","trainer.patience=0"]',
            *objective,
            *placement,
        ],
    )
    started = time.perf_counter()
    study = run_sweep(cfg).study
    return trials / ((time.perf_counter() - started) / 60), study.get_trials()


def check(name: str, trials, gpus: list[str]) -> list[str]:
    """What is wrong with a sweep's trials: failures, or a GPU that trained none."""
    problems = [
        f"{name}: trial {t.number} {t.state.name}: {t.user_attrs.get('error', '')[:200]}"
        for t in trials
        if t.state != TrialState.COMPLETE
    ]
    used = {t.user_attrs.get("device") for t in trials if t.state == TrialState.COMPLETE}
    idle = [gpu for gpu in gpus if f"gpu:{gpu}" not in used]
    if idle:
        problems.append(f"{name}: GPU(s) {', '.join(idle)} trained no trial (devices used: {sorted(used)})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials-per-worker", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--dry-run", action="store_true", help="sample only: check placement, no training")
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="--dry-run: seconds each trial pretends to work"
    )
    args = parser.parse_args()
    gpus = [gpu.id for gpu in visible_gpus()]
    if not gpus:
        print("no GPU found (CUDA_VISIBLE_DEVICES, nvidia-smi): nothing to check", file=sys.stderr)
        return 2
    packed = plan_workers(compose("sweep", ["paths.output_dir=unused"]).sweep)
    print(
        f"GPUs: {', '.join(gpus)}; packing: {packed.rule}{' (dry run)' if args.dry_run else ''}", flush=True
    )
    runs = {  # name: (overrides, workers, GPUs that must train trials)
        "one worker": ([f"sweep.gpus=[{gpus[0]}]", "sweep.workers=1"], 1, gpus[:1]),
        "one per GPU": (["sweep.workers_per_gpu=1"], len(gpus), gpus),
        "packed (auto)": (["sweep.workers_per_gpu=auto"], packed.workers, gpus),
    }
    rates, problems = {}, []
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, (placement, workers, expected)) in enumerate(runs.items()):
            rate, done = sweep(Path(folder), f"run{index}", args.trials_per_worker * workers, placement, args)
            rates[name] = rate
            problems += check(name, done, expected)
    for name, rate in rates.items():
        workers = runs[name][1]
        print(
            f"{name:<14} {workers:>3} worker(s) {rate:7.2f} trials/min  ({rate / rates['one worker']:.2f}x one worker)"
        )
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    if not problems:
        print(f"every GPU trained trials: {', '.join(f'gpu:{g}' for g in gpus)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
