"""`run_sweep(cfg)` / `har-sweep`: create or resume a study, run workers, summarise, export.

    har-sweep                                   # the default study on watch, journal storage
    har-sweep sweep.workers=2 sweep.n_trials=40
    har-sweep sweep.storage=postgresql+psycopg2://har:***@db:5432/har   # run on each machine

Rerunning the same command resumes the study up to `n_trials` in total.
"""

from __future__ import annotations

import signal
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from omegaconf import DictConfig, OmegaConf
from optuna.trial import FrozenTrial

from har.config import (
    ConfigError,
    check_experiment,
    check_override_sets,
    compose,
    instantiate,
    override_key,
    to_container,
)
from har.io import write_text
from har.sweep.best import best_trials, pick
from har.sweep.objective import refit_trial, study_logger
from har.sweep.placement import plan_workers
from har.sweep.pool import WorkerPool
from har.sweep.progress import Progress
from har.sweep.settings import remember, sweep_settings
from har.sweep.space import branches, load_space, parse_space, to_overrides
from har.sweep.storage import make_storage, study_config_dirs
from har.sweep.summary import summarise
from har.sweep.worker import config_error_streak

INTERRUPT_WAIT_S = 60  # how long an interrupted sweep waits for its workers to record their trials


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
    worker_cfg.pop("config_dirs", None)  # workers compose from the study's copy (study_config_dirs)
    _objective_node(worker_cfg.sweep)
    for key in ("root", "output_dir", "cache_dir"):
        worker_cfg.paths[key] = str(Path(worker_cfg.paths[key]).resolve())
    worker_cfg.search_space = load_space(cfg.sweep.search_space)
    placement = plan_workers(cfg.sweep)  # this machine's GPUs and worker count, resolved once
    worker_cfg.sweep.workers, worker_cfg.sweep.gpus = placement.workers, list(placement.gpus)
    worker_cfg.sweep.placement = placement.rule
    return worker_cfg


def _check(cfg: DictConfig) -> DictConfig:
    """Everything a sweep can get wrong before its first trial, checked before any file is made.

    The train config of every branch of the search space (with `train_overrides`) is composed
    once here, so a typo fails the command in seconds instead of every trial. Returns the
    workers' config (`worker_config`).
    """
    check_experiment(cfg, "har-sweep")
    sweep = cfg.sweep
    _objective_node(sweep)
    if len(sweep.objectives) != len(sweep.directions):
        raise ConfigError(
            f"sweep.objectives ({len(sweep.objectives)}) and sweep.directions ({len(sweep.directions)}) differ in length"
        )
    for direction in sweep.directions:
        if direction not in ("maximize", "minimize"):
            raise ConfigError(f"sweep.directions: {direction!r} is not maximize or minimize")
    for objective in sweep.objectives:
        if str(objective).startswith("test/"):
            raise ConfigError(
                f"sweep.objectives: {objective} would choose on the test split, which never chooses "
                f"anything; use val/{str(objective)[len('test/') :]}"
            )
    if sweep.n_trials < 1:  # sweep.workers and sweep.gpus: har.sweep.placement checks them
        raise ConfigError(f"sweep.n_trials={sweep.n_trials}: must be >= 1")
    if sweep.refit not in ("best", "every"):  # anything else would silently mean `every`
        raise ConfigError(f"sweep.refit={sweep.refit}: must be best or every")
    for key in ("sampler", "pruner", "objective"):
        instantiate(sweep[key], f"sweep.{key}")
    worker_cfg = worker_config(cfg)
    space = f"search_space={sweep.search_space}"
    params = parse_space(worker_cfg.search_space, space)
    sampled = {param.key for param in params}
    for override in sweep.train_overrides:
        if override_key(override) in sampled:
            raise ConfigError(
                f"sweep.train_overrides: {override} sets a key that {space} samples (the sample "
                "would silently win); drop one of them"
            )
    fixed = list(sweep.train_overrides)
    dirs = list(cfg.get("config_dirs") or [])
    warnings = check_override_sets(
        "train",
        [("sweep.train_overrides", fixed)]
        + [(f"{space} ({' '.join(to_overrides(b))})", [*fixed, *to_overrides(b)]) for b in branches(params)],
        config_dirs=dirs,
    )
    for line in warnings:
        print(line, file=sys.stderr, flush=True)
    return worker_cfg


def _check_fold_plan(cfg: DictConfig, worker_cfg: DictConfig) -> None:
    """The trials' fold plan, checked once on their data before the first trial trains.

    The data is loaded as `har-train` loads it (the windows are cached for the trials). Only
    for objectives that train: a dry run reads no data.
    """
    if worker_cfg.sweep.objective._target_ != "har.sweep.objective.run_trial":
        return
    from har import validation
    from har.data import load_windows

    train_cfg = compose(
        "train",
        [
            *cfg.sweep.train_overrides,
            f"paths.root={cfg.paths.root}",
            f"paths.cache_dir={cfg.paths.cache_dir}",
        ],
        config_dirs=list(cfg.get("config_dirs") or []),
    )
    validation.plan(train_cfg.validation, load_windows(train_cfg.data))


def _objective_node(sweep: DictConfig) -> None:
    """`sweep.objective=<dotted name>` (or `dry_run`) as the `_target_` node it stands for."""
    if isinstance(sweep.objective, str):
        target = sweep.objective if "." in sweep.objective else f"har.sweep.objective.{sweep.objective}"
        sweep.objective = {"_target_": target, "_partial_": True}


def run_sweep(cfg: DictConfig) -> SweepResult:
    """Run (or resume) the study of `cfg.sweep` to `n_trials`, then summarise and export."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    worker_cfg = _check(cfg)  # fail now, before any file, not in N workers
    sweep_dir = Path(cfg.paths.output_dir)
    settings = sweep_settings(cfg, OmegaConf.to_container(worker_cfg.search_space))
    _check_remembered(cfg, sweep_dir, settings)
    _check_fold_plan(cfg, worker_cfg)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    config_path = sweep_dir / "sweep.yaml"
    write_text(config_path, OmegaConf.to_yaml(worker_cfg))  # a second driver may be reading it
    storage = make_storage(cfg.sweep.storage, sweep_dir / "journal.log")
    study = optuna.create_study(
        study_name=cfg.sweep.study,
        storage=storage,
        directions=list(cfg.sweep.directions),
        load_if_exists=True,
    )
    remember(study, settings, allow_changes=True)  # a new study: what it starts with
    if study.metric_names is None:
        study.set_metric_names(list(cfg.sweep.objectives))
    worker_cfg.config_dirs = study_config_dirs(study)  # the refit composes as the workers do
    print(
        f"sweep {cfg.sweep.study}: {cfg.sweep.n_trials} trials, {worker_cfg.sweep.workers} worker(s), storage "
        f"{'journal ' + str(sweep_dir / 'journal.log') if not cfg.sweep.storage else 'SQL'}; logs in {sweep_dir / 'workers'}",
        flush=True,
    )
    print(f"placement: {worker_cfg.sweep.placement}", flush=True)
    pool = WorkerPool(config_path, worker_cfg.sweep.workers, worker_cfg.sweep.gpus, sweep_dir / "workers")
    pool.start()
    progress = Progress(
        study,
        n_trials=int(cfg.sweep.n_trials),
        workers=int(worker_cfg.sweep.workers),
        heartbeat_interval=float(cfg.sweep.heartbeat.interval),
        heartbeat_grace=float(cfg.sweep.heartbeat.grace),
    )
    try:
        while pool.running():
            time.sleep(1)
            progress.update()
    except KeyboardInterrupt:
        # The workers record their trials (finished: COMPLETE; else failed and queued again)
        # before they exit; waiting for them leaves the study true when the command ends.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C would not wait
        try:
            pool.terminate()
            pool.wait(INTERRUPT_WAIT_S)
        finally:
            signal.signal(signal.SIGINT, previous)
        raise
    finally:
        broken = pool.close()
    progress.update()
    if broken:
        print(
            f"warning: worker(s) {broken} exited with an error; see {sweep_dir / 'workers'}", file=sys.stderr
        )
    streak, reason = config_error_streak(study)
    stopped = streak >= cfg.sweep.max_config_errors
    if cfg.sweep.refit == "best" and not stopped and (best := best_trials(study)):
        refit_trial(pick(best, int(cfg.sweep.pareto_index)), worker_cfg)
    summary_logger = OmegaConf.merge(
        cfg.logger, study_logger(cfg, job_type=cfg.logger.job_type, name=f"{cfg.sweep.study}-summary")
    )
    summary = summarise(study, sweep_dir, instantiate(summary_logger, "logger"))
    print((sweep_dir / "summary.md").read_text(), flush=True)
    if stopped:
        raise ConfigError(
            f"sweep stopped: the last {streak} trials failed on a config error (sweep.max_config_errors="
            f"{cfg.sweep.max_config_errors}); the last: {reason}"
        )
    bundle = _export_best(cfg, summary["best"]) if cfg.sweep.export and summary["best"] else None
    return SweepResult(study, sweep_dir, summary, bundle)


def _check_remembered(cfg: DictConfig, sweep_dir: Path, settings: dict[str, Any]) -> None:
    """Refuse changed settings for an existing study before anything is written."""
    journal = sweep_dir / "journal.log"
    if not cfg.sweep.storage and not journal.is_file():
        return  # a new study: nothing to compare, and opening would create the journal
    try:
        study = optuna.load_study(
            study_name=cfg.sweep.study, storage=make_storage(cfg.sweep.storage, journal)
        )
    except KeyError:  # no such study yet
        return
    warning = remember(study, settings, allow_changes=bool(cfg.sweep.allow_changes))
    if warning:
        print(warning, file=sys.stderr, flush=True)


def _export_best(cfg: DictConfig, best: list[FrozenTrial]) -> Path | None:
    """Export the run of the best trial (`sweep.pareto_index` of a Pareto front); its bundle.

    None, said on stdout, when that trial trained nothing (a dry run has no run folder).
    """
    from har.export import export

    trial = pick(best, int(cfg.sweep.pareto_index))
    if "run_dir" not in trial.user_attrs:
        print(f"no export: trial {trial.number} trained no model (sweep.objective is a dry run)", flush=True)
        return None
    export_cfg = compose(
        "export",
        [
            f"run_dir={trial.user_attrs['run_dir']}",
            f"paths.root={cfg.paths.root}",
            f"paths.output_dir={Path(cfg.paths.output_dir) / 'export'}",
            *cfg.sweep.export_overrides,
        ],
    )
    # the study's group and name; its bundle artifact is `bundle-<study>` (one artifact per study)
    export_cfg.logger = OmegaConf.merge(
        cfg.logger, study_logger(cfg, job_type="export", name=f"{cfg.sweep.study}-export")
    )
    return export(export_cfg).bundle


def main(cfg: DictConfig) -> None:
    """`har-sweep`: run the sweep, then say where everything is."""
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
