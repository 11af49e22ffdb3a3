"""What a trial runs: `run_trial` (sample -> overrides -> train) or `dry_run` (sample only).

`sweep.objective` names one of them (`_partial_: true`); the worker calls it as
`objective(trial, cfg, params, sweep_dir) -> objective values`, with `cfg` the composed sweep
config the driver handed to the workers (`driver.worker_config`).
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from pathlib import Path
from typing import Any

import optuna
from omegaconf import DictConfig

from har.config import compose
from har.metrics import TEST_ACCURACY, TEST_MACRO_F1, VAL_MACRO_F1, baseline_of, cv_std_of, fold_models_of
from har.sweep import space as search_space
from har.sweep.storage import PROGRESS
from har.training import RunFolder, configure_worker_tensorflow

# Metrics kept with every trial. Test figures are there to be read, never to choose: the
# objective is a validation metric. Under cross-validation `val/*` is the fold mean,
# `folds/test/*` the fold models' mean test score, `test/*` the refit's (when there is one).
RECORDED = (
    "validation",
    "model/params",
    "epochs_trained",
    "best_epoch",
    cv_std_of(VAL_MACRO_F1),
    TEST_MACRO_F1,
    TEST_ACCURACY,
    fold_models_of(TEST_MACRO_F1),
    fold_models_of(TEST_ACCURACY),
    baseline_of(VAL_MACRO_F1),
    baseline_of(TEST_MACRO_F1),
    baseline_of(TEST_ACCURACY),
    fold_models_of(baseline_of(TEST_MACRO_F1)),
)

# Objectives computed after training from the best checkpoint rather than read from metrics.
TFLITE_OBJECTIVES = ("tflite/latency_ms", "tflite/size_kb")


def _tflite_objectives(run_dir: Path) -> dict[str, float]:
    """Size and single-window latency of the run's float16 TFLite model."""
    import numpy as np

    from har.export import tflite_latency, to_tflite
    from har.models import load

    folder = RunFolder(run_dir)
    data = folder.read_data()  # the windows the model was trained on
    window = np.zeros((1, data["window"], len(data["channels"])), np.float32)  # (1, T, C)
    content = to_tflite(load(folder.checkpoint), "float16")
    p50, _ = tflite_latency(content, window, invocations=300, warmup=30)
    return {"tflite/latency_ms": p50, "tflite/size_kb": len(content) / 1024}


def study_logger(cfg: DictConfig, *, job_type: str, name: str) -> dict[str, Any]:
    """The W&B settings of one run of the study: its group (the study), job type and name."""
    return {"group": cfg.sweep.study if cfg.sweep.logger_group else None, "job_type": job_type, "name": name}


def trial_config(
    cfg: DictConfig, overrides: list[str], run_dir: Path, *, job_type: str, name: str
) -> DictConfig:
    """The train config of a trial: the sweep's train overrides, then the trial's own.

    It composes from `conf/` and the study's `--config-dir` folders (`cfg.config_dirs`, made
    from the study's copy by the process that runs the trial).
    """
    logger = study_logger(cfg, job_type=job_type, name=name)
    return compose(
        "train",
        [
            *cfg.sweep.train_overrides,
            *overrides,
            f"paths.root={cfg.paths.root}",
            f"paths.output_dir={run_dir}",
            f"paths.cache_dir={cfg.paths.cache_dir}",
            *(f"logger.{key}={'null' if value is None else value}" for key, value in logger.items()),
        ],
        config_dirs=list(cfg.get("config_dirs") or []),
    )


def refit_trial(trial: optuna.trial.FrozenTrial, cfg: DictConfig) -> dict[str, Any] | None:
    """Refit a cross-validated trial that ran its folds only (`sweep.refit=best`).

    The trial's finished folds are read back from its run folder, so only the refit trains:
    every non-test subject, for the epochs its folds chose, evaluated once on test. Returns
    the run's metrics, or None when the trial needs no refit (holdout, or refit already).
    """
    from har.training import train

    if trial.user_attrs.get("validation", "holdout") == "holdout" or TEST_MACRO_F1 in trial.user_attrs:
        return None  # also a dry run's trial: it has no run folder
    run_dir = Path(trial.user_attrs["run_dir"])
    name = f"{cfg.sweep.study}-trial-{trial.number}-refit"  # its own W&B run, not the trial's name again
    train_cfg = trial_config(cfg, list(trial.user_attrs["overrides"]), run_dir, job_type="refit", name=name)
    train_cfg.validation.refit = True
    print(f"refit of the best trial {trial.number} on every non-test subject -> {run_dir}", flush=True)
    return train(train_cfg).metrics


def run_trial(
    trial: optuna.Trial, cfg: DictConfig, params: list[search_space.Param], sweep_dir: Path
) -> list[float]:
    """Train one sampled configuration; raise optuna.TrialPruned when the pruner says so."""
    configure_worker_tensorflow()  # before TensorFlow's runtime starts: threads, GPU memory
    from keras import backend

    from har.training import RunPruned, train

    values = search_space.sample(params, trial)
    overrides = search_space.to_overrides(values)
    run_dir = sweep_dir / "trials" / f"{trial.number:04d}"
    trial.set_user_attr("overrides", overrides)
    trial.set_user_attr("run_dir", str(run_dir))
    train_cfg = trial_config(
        cfg, overrides, run_dir, job_type="trial", name=f"{cfg.sweep.study}-trial-{trial.number}"
    )
    if train_cfg.validation.name != "holdout" and cfg.sweep.refit == "best":
        train_cfg.validation.refit = False  # folds only; the sweep refits its best trial
    objectives = list(cfg.sweep.objectives)
    single = len(objectives) == 1
    monitor = objectives[0]

    # The pruner's step: the epoch under holdout; the fold under cross-validation, where the
    # value reported after fold i is the mean over folds 1..i (the trial's value so far). The
    # last step is never pruned: a trial that ran its whole schedule has its value.
    by_fold = train_cfg.validation.name != "holdout"
    last = int(train_cfg.validation.k) if by_fold else int(train_cfg.trainer.epochs)

    def report(step: int, metrics: dict[str, float]) -> None:
        if not single or monitor not in metrics:
            return
        trial.report(metrics[monitor], step)
        if step < last and trial.should_prune():  # the study records this last value: so does its run
            raise RunPruned(step, "fold" if by_fold else "epoch", {monitor: metrics[monitor]})

    progress = _Progress(trial, train_cfg, by_fold)
    hooks = {"epoch_hooks": [progress.epoch], "fold_hooks": [progress.fold]}
    hooks["fold_hooks" if by_fold else "epoch_hooks"].append(report)
    started = time.perf_counter()
    try:
        result = train(train_cfg, **hooks)
    except RunPruned as pruned:
        trial.set_user_attr(f"pruned_after_{pruned.unit}", pruned.step)
        if pruned.unit == "epoch":
            trial.set_user_attr("epochs_trained", pruned.step)
        raise optuna.TrialPruned(str(pruned)) from None
    finally:
        backend.clear_session()
        trial.set_user_attr("seconds", round(time.perf_counter() - started, 1))
    metrics: dict[str, Any] = dict(result.metrics)
    if any(o in TFLITE_OBJECTIVES for o in objectives):
        metrics.update(_tflite_objectives(run_dir))
    for key in RECORDED:
        if key in metrics:
            trial.set_user_attr(key, metrics[key])
    if "synth/vae_cache_hit" in metrics:
        trial.set_user_attr("synth/vae_cache_hit", metrics["synth/vae_cache_hit"])
    trial.set_user_attr("wandb_run_id", result.wandb_run_id)
    return [float(metrics[o]) for o in objectives]


class _Progress:
    """Writes a running trial's fold, epoch and epochs done and left (`PROGRESS`) after each epoch.

    Epochs left assume every remaining fit runs `trainer.epochs` (early stopping may end one
    sooner), so the sweep's ETA errs long rather than short.
    """

    def __init__(self, trial: optuna.Trial, train_cfg: DictConfig, by_fold: bool) -> None:
        self.trial, self.epochs = trial, int(train_cfg.trainer.epochs)
        self.folds = int(train_cfg.validation.k) if by_fold else 0
        refit = by_fold and bool(train_cfg.validation.refit)
        self.phases = self.folds + int(refit) if by_fold else 1
        self.phase, self.done = 1, 0

    def fold(self, number: int, metrics: dict[str, float]) -> None:
        self.phase = number + 1  # the next fit: the next fold, or the refit

    def epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        self.done += 1
        if self.folds and self.phase <= self.folds:
            where = {"fold": f"{self.phase}/{self.folds}"}
        else:
            where = {"fold": "refit"} if self.folds else {}
        left = (self.phases - self.phase) * self.epochs + max(0, self.epochs - epoch)
        state = {**where, "epoch": f"{epoch}/{self.epochs}", "done": self.done, "left": left}
        self.trial.study._storage.set_trial_system_attr(self.trial._trial_id, PROGRESS, state)


def finished_values(
    study: optuna.Study, trial: optuna.trial.FrozenTrial, objectives: list[str]
) -> list[float] | None:
    """The values of a trial whose run finished (metrics.json written) but was not told; else None.

    What an interrupted worker records for its trial: a run that finished is COMPLETE with
    the values its metrics hold (its recorded metrics copied as `run_trial` does).
    """
    run_dir = trial.user_attrs.get("run_dir")
    folder = RunFolder(Path(run_dir)) if run_dir else None
    if folder is None or not folder.metrics.is_file():
        return None
    metrics = folder.read_metrics()
    if any(o not in metrics for o in objectives):
        return None  # e.g. a TFLite objective, measured after the run
    for key in RECORDED:
        if key in metrics and key not in trial.user_attrs:
            study._storage.set_trial_user_attr(trial._trial_id, key, metrics[key])
    return [float(metrics[o]) for o in objectives]


def dry_run(
    trial: optuna.Trial,
    cfg: DictConfig,
    params: list[search_space.Param],
    sweep_dir: Path,
    *,
    seconds: float = 0.0,
    steps: int = 0,
) -> list[float]:
    """Sample a configuration and train nothing (`sweep.objective=dry_run`).

    For checking a storage, the workers, a search space, a sampler or a pruner before spending
    compute on them, and for the storage benchmark. Each value is
    `dry_run_value(trial.params, objective)`, so a reader can check that a stored value belongs
    to its trial.

    Args:
        seconds: how long each trial pretends to work (spread over its steps).
        steps: report the first objective's value at each of this many steps, as training
            reports epochs, so the pruner may stop the trial (single objective only).
    """
    trial.set_user_attr("overrides", search_space.to_overrides(search_space.sample(params, trial)))
    values = [dry_run_value(trial.params, objective) for objective in cfg.sweep.objectives]
    for step in range(1, steps + 1 if len(values) == 1 else 1):  # 1, 2, ... like epochs
        time.sleep(seconds / steps)
        trial.report(values[0], step)
        if step < steps and trial.should_prune():  # as run_trial: the last step is never pruned
            trial.set_user_attr("pruned_after_epoch", step)
            raise optuna.TrialPruned(f"pruned at step {step}")
    if seconds and not (steps and len(values) == 1):
        time.sleep(seconds)
    return values


def dry_run_value(params: dict[str, Any], objective: str) -> float:
    """A value in [0, 1) fixed by the parameters and the objective's name."""
    text = json.dumps([objective, params], sort_keys=True, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big") / 2**48


def describe_error(error: BaseException) -> str:
    """The reason a trial failed, as stored in its user attributes."""
    last = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" (at {Path(last.filename).name}:{last.lineno})" if last else ""
    return f"{type(error).__name__}: {error}{where}"[:2000]
