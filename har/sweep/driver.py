"""`run_sweep(cfg)` / `har-sweep`: create or resume a study, run workers, summarise, export.

    har-sweep                                   # the default study on watch, journal storage
    har-sweep sweep.workers=2 sweep.n_trials=40
    har-sweep sweep.storage=postgresql+psycopg2://har:***@db:5432/har   # run on each machine

Rerunning the same command resumes the study up to `n_trials` in total.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import optuna
from omegaconf import DictConfig, OmegaConf
from optuna.trial import FrozenTrial, TrialState

from har.cli_errors import exit_on_user_error
from har.config import CONF_DIR, ConfigError, check_experiment, compose, instantiate, to_container
from har.io import write_text
from har.sweep.best import best_trials, pick
from har.sweep.objective import refit_trial
from har.sweep.placement import plan_workers
from har.sweep.pool import WorkerPool
from har.sweep.space import load_space
from har.sweep.storage import make_storage
from har.sweep.summary import summarise


@dataclass
class SweepResult:
    study: optuna.Study
    sweep_dir: Path
    summary: dict[str, Any]
    export_bundle: Path | None = None


def worker_config(cfg: DictConfig) -> DictConfig:
    """The composed sweep config, resolved, as every worker reads it (workers run no Hydra).

    Paths become absolute (a worker may start in another folder), `sweep.workers` and
    `sweep.gpus` are this machine's resolved placement (`sweep.placement` says by which rule),
    and `search_space` holds the space itself, read and checked here once, so every worker
    samples the same space.
    """
    worker_cfg = OmegaConf.create(to_container(cfg))
    for key in ("root", "output_dir", "cache_dir"):
        worker_cfg.paths[key] = str(Path(worker_cfg.paths[key]).resolve())
    worker_cfg.search_space = load_space(cfg.sweep.search_space)
    placement = plan_workers(cfg.sweep)  # this machine's GPUs and worker count, resolved once
    worker_cfg.sweep.workers, worker_cfg.sweep.gpus = placement.workers, list(placement.gpus)
    worker_cfg.sweep.placement = placement.rule
    return worker_cfg


def _check(cfg: DictConfig) -> None:
    check_experiment(cfg, "har-sweep")
    sweep = cfg.sweep
    if len(sweep.objectives) != len(sweep.directions):
        raise ConfigError(
            f"sweep.objectives ({len(sweep.objectives)}) and sweep.directions ({len(sweep.directions)}) differ in length"
        )
    for direction in sweep.directions:
        if direction not in ("maximize", "minimize"):
            raise ConfigError(f"sweep.directions: {direction!r} is not maximize or minimize")
    if sweep.n_trials < 1:  # sweep.workers and sweep.gpus: har.sweep.placement checks them
        raise ConfigError(f"sweep.n_trials={sweep.n_trials}: must be >= 1")


def _progress(study: optuna.Study, seen: set[int], total: int, started: float) -> None:
    """One line per trial that finished since the last call."""
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    for trial in sorted(done, key=lambda t: t.number):
        if trial.number in seen:
            continue
        seen.add(trial.number)
        value = f"{trial.values[0]:.4f}" if trial.values else "-"
        best = (
            max((t.values[0] for t in complete), default=float("nan"))
            if len(study.directions) == 1 and study.direction == optuna.study.StudyDirection.MAXIMIZE
            else float("nan")
        )
        detail = (
            trial.user_attrs.get("error", "")[:120]
            if trial.state == TrialState.FAIL
            else f"epochs {trial.user_attrs.get('epochs_trained', '?')}"
        )
        print(
            f"[{len(done):>3}/{total}] trial {trial.number:>3} {trial.state.name:<8} {value}  {' '.join(trial.user_attrs.get('overrides', []))}  "
            f"({detail}, {trial.user_attrs.get('seconds', '?')}s)  best {best:.4f}  elapsed {time.time() - started:.0f}s",
            flush=True,
        )


def run_sweep(cfg: DictConfig) -> SweepResult:
    """Run (or resume) the study of `cfg.sweep` to `n_trials`, then summarise and export."""
    _check(cfg)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sweep_dir = Path(cfg.paths.output_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    worker_cfg = worker_config(cfg)  # a bad search space fails now, not in N workers
    instantiate(cfg.sweep.sampler, "sweep.sampler")
    instantiate(cfg.sweep.pruner, "sweep.pruner")
    instantiate(cfg.sweep.objective, "sweep.objective")
    config_path = sweep_dir / "sweep.yaml"
    write_text(config_path, OmegaConf.to_yaml(worker_cfg))  # a second driver may be reading it
    storage = make_storage(cfg.sweep.storage, sweep_dir / "journal.log")
    study = optuna.create_study(
        study_name=cfg.sweep.study,
        storage=storage,
        directions=list(cfg.sweep.directions),
        load_if_exists=True,
    )
    if study.metric_names is None:
        study.set_metric_names(list(cfg.sweep.objectives))
    print(
        f"sweep {cfg.sweep.study}: {cfg.sweep.n_trials} trials, {worker_cfg.sweep.workers} worker(s), storage "
        f"{'journal ' + str(sweep_dir / 'journal.log') if not cfg.sweep.storage else 'SQL'}; logs in {sweep_dir / 'workers'}",
        flush=True,
    )
    print(f"placement: {worker_cfg.sweep.placement}", flush=True)
    pool = WorkerPool(config_path, worker_cfg.sweep.workers, worker_cfg.sweep.gpus, sweep_dir / "workers")
    pool.start()
    started, seen = time.time(), set()
    try:
        while pool.running():
            _progress(study, seen, int(cfg.sweep.n_trials), started)
            time.sleep(2)
    except KeyboardInterrupt:
        pool.terminate()
        raise
    finally:
        broken = pool.close()
    _progress(study, seen, int(cfg.sweep.n_trials), started)
    if broken:
        print(
            f"warning: worker(s) {broken} exited with an error; see {sweep_dir / 'workers'}", file=sys.stderr
        )
    if cfg.sweep.refit == "best" and (best := best_trials(study)):
        refit_trial(pick(best, int(cfg.sweep.pareto_index)), worker_cfg)
    summary = summarise(study, sweep_dir, instantiate(cfg.logger, "logger"))
    print((sweep_dir / "summary.md").read_text(), flush=True)
    bundle = _export_best(cfg, summary["best"]) if cfg.sweep.export and summary["best"] else None
    return SweepResult(study, sweep_dir, summary, bundle)


def _export_best(cfg: DictConfig, best: list[FrozenTrial]) -> Path:
    """Export the run of the best trial (`sweep.pareto_index` of a Pareto front); its bundle."""
    from har.export.exporter import export

    export_cfg = compose(
        "export",
        [
            f"run_dir={pick(best, int(cfg.sweep.pareto_index)).user_attrs['run_dir']}",
            f"paths.root={cfg.paths.root}",
            f"paths.output_dir={Path(cfg.paths.output_dir) / 'export'}",
            *cfg.sweep.export_overrides,
        ],
    )
    export_cfg.logger = cfg.logger
    export_cfg.logger.job_type = "export"
    return export(export_cfg).bundle


@hydra.main(config_path=str(CONF_DIR), config_name="sweep", version_base="1.3")
@exit_on_user_error
def main(cfg: DictConfig) -> None:
    result = run_sweep(cfg)
    print(where_everything_is(result))


def where_everything_is(result: SweepResult) -> str:
    """The closing lines of `har-sweep`: every output, and how to upload the W&B runs."""
    folder = result.sweep_dir
    runs = sorted(folder.glob("**/wandb/offline-run-*"))
    lines = [
        "",
        "outputs:",
        f"  sweep summary      {folder / 'summary.md'}  (trials.csv, best_config.yaml, best_command.txt, *.png)",
        f"  trial runs         {folder / 'trials'}/<number>/  (best.keras, metrics.json, confusion_test.png)",
    ]
    if result.export_bundle:
        lines += [
            f"  comparison table   {result.export_bundle / 'comparison.md'}",
            f"  deployment bundle  {result.export_bundle}  (model_float16.tflite, manifest.json)",
        ]
    if runs:
        lines += [
            f"  W&B offline runs   {len(runs)} under {folder} (one per trial, the summary, the export)",
            f"  upload them later  wandb sync {folder}/trials/*/wandb/offline-run-* {folder}/wandb/offline-run-*"
            + (f" {result.export_bundle.parent}/wandb/offline-run-*" if result.export_bundle else "")
            + "   (needs WANDB_API_KEY)",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
