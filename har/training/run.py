"""`train(cfg)`: one training run, from a composed config to metrics and files on disk.

Two ways to judge a configuration (`validation=`):

- `holdout`: train on the train subjects, keep the epoch with the best `val/macro_f1` on the
  val subjects, evaluate test once from that checkpoint.
- `subject_kfold`: k folds over every non-test subject (`folds/fold-<i>/`, each its own run
  with its own normaliser), whose mean validation score is the run's `val/*`; then a refit on
  every non-test subject for the epochs the folds chose, evaluated once on test. The refit is
  the run's `best.keras`.

Everything lands in `cfg.paths.output_dir`: the checkpoint, `metrics.json`, the resolved
`config.yaml`, `data.json` (classes, window, normaliser: what export needs), `history.csv`,
confusion matrices, and the classical baseline's figures (`baseline/*`) beside the model's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from har import validation
from har.augment import build_pipeline
from har.config import check_experiment, instantiate, to_container
from har.data import CacheKeys, WindowedData, cache_key, load_windows
from har.metrics import MACRO_F1_SCOPE, TEST_ACCURACY, TEST_MACRO_F1, VAL_MACRO_F1, baseline_of, cv_std_of
from har.training.callbacks import EpochHook, RunPruned
from har.training.devices import placement, set_threads, strategy
from har.training.fit import Fitted, check_trainer, compile_model, evaluate, fit_split, process_settings
from har.training.run_folder import RunFolder

# Called after every fold with (fold number, the cross-validation metrics so far); may raise
# RunPruned to stop the run (the sweep prunes on folds under cross-validation).
FoldHook = EpochHook


@dataclass
class TrainResult:
    metrics: dict[str, Any]
    run_dir: Path
    checkpoint: Path
    paths: dict[str, Path] = field(default_factory=dict)
    wandb_run_id: str | None = None


@dataclass
class _Run:
    """What every part of one run shares: its config, data, folder, device and logger."""

    cfg: DictConfig
    data: WindowedData
    run_dir: Path
    augment: Any
    distribution: Any
    logger: Any
    config: dict[str, Any]
    steps_logged: int = 0

    @property
    def folder(self) -> RunFolder:
        return RunFolder(self.run_dir)


def train(
    cfg: DictConfig, *, epoch_hooks: Sequence[EpochHook] = (), fold_hooks: Sequence[FoldHook] = ()
) -> TrainResult:
    """Train and evaluate one configuration by `cfg.validation`; write and log the results.

    Args:
        cfg: a composed `train.yaml`.
        epoch_hooks: called after every epoch (of every fold) with (epoch, metrics); may raise.
        fold_hooks: cross-validation only: called after every fold with (fold, metrics so far).

    Returns:
        The metrics (`train/*`, `val/*`, `test/*`, `baseline/*`, `model/params`, ...) and paths.

    Raises:
        ConfigError, DataError: bad config or input, before anything is written.
        har.training.callbacks.TrainingDiverged: NaN, infinite or exploding loss.
        har.training.callbacks.RunPruned: a hook stopped the run (logged as pruned first).
    """
    started = time.perf_counter()
    check_experiment(cfg, "har-train")
    check_trainer(cfg.trainer)
    validation.check(cfg.validation)
    if cfg.trainer.threads:
        set_threads(int(cfg.trainer.threads))
    distribution = strategy(cfg.trainer.strategy, int(cfg.trainer.logical_cpus))
    with process_settings(cfg.trainer):
        run = _set_up(cfg, distribution)
        with run.logger.start(run_dir=run.run_dir, name=run.run_dir.name, config=run.config):
            folds = validation.plan(cfg.validation, run.data)
            try:
                if folds:
                    metrics, fitted = _cross_validate(run, folds, epoch_hooks, fold_hooks)
                else:
                    metrics, fitted = _holdout(run, epoch_hooks)
            except RunPruned as pruned:
                run.logger.log_summary(
                    {"pruned": True, f"pruned_after_{pruned.unit}": pruned.step, **pruned.recorded}
                )
                print(f"pruned after {pruned.unit} {pruned.step}", flush=True)
                raise
            metrics["seconds"] = round(time.perf_counter() - started, 2)
            _write_results(run, metrics, fitted)
    return _result(run, metrics)


def _set_up(cfg: DictConfig, distribution) -> _Run:
    """Load the data and check every part of the config; then make the folder, write the config."""
    augment = build_pipeline(cfg.augment, cfg.data.channels)
    data = load_windows(cfg.data)
    compile_model(cfg, data, 1, distribution)  # a bad model or optimizer value stops us here
    if "_target_" in cfg.baseline:
        instantiate(cfg.baseline, "baseline")
    logger = instantiate(cfg.logger, "logger")
    run_dir = Path(cfg.paths.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    config = to_container(cfg)
    RunFolder(run_dir).write_config(config)
    return _Run(cfg, data, run_dir, augment, distribution, logger, config)


def _fit(
    run: _Run, data: WindowedData, out_dir: Path, hooks, *, epochs: int | None = None, tag: str = ""
) -> Fitted:
    fitted = fit_split(
        run.cfg,
        data,
        out_dir,
        augment=run.augment,
        distribution=run.distribution,
        logger=run.logger,
        hooks=hooks,
        epochs=epochs,
        tag=tag,
        step_offset=run.steps_logged,
    )
    run.steps_logged += len(fitted.history)
    return fitted


def _holdout(run: _Run, epoch_hooks) -> tuple[dict[str, Any], Fitted]:
    """One fit on the configured split; val and test from its best checkpoint."""
    data = run.data
    run.folder.write_data(_data_json(run.cfg, data))
    fitted = _fit(run, data, run.run_dir, epoch_hooks)
    metrics = {
        "validation": "holdout",
        **fitted.train_metrics,
        **evaluate(fitted.checkpoint, data, ("val", "test"), run.run_dir, run.logger),
        **_baseline(run, data, ("val", "test")),
    }
    return metrics, fitted


def _cross_validate(
    run: _Run, folds: list[validation.Fold], epoch_hooks, fold_hooks
) -> tuple[dict[str, Any], Fitted | None]:
    """Every fold (reusing finished ones), then the refit when `validation.refit` is on."""
    fold_metrics: list[dict[str, Any]] = []
    for fold in folds:
        print(
            f"{fold.name}/{len(folds)}: val subjects {' '.join(fold.subjects['val'])}; "
            f"train {' '.join(fold.subjects['train'])}",
            flush=True,
        )
        fold_metrics.append(_run_fold(run, fold, epoch_hooks))
        for hook in fold_hooks:
            hook(fold.number, validation.combine(fold_metrics))
    metrics: dict[str, Any] = {"validation": "subject_kfold", **validation.combine(fold_metrics)}
    print(
        f"cross-validation: val/macro_f1 {metrics[VAL_MACRO_F1]:.4f} ± {metrics[cv_std_of(VAL_MACRO_F1)]:.4f} "
        f"over {len(folds)} folds (baseline {metrics.get(baseline_of(VAL_MACRO_F1), float('nan')):.4f})",
        flush=True,
    )
    subjects = validation.refit_subjects(run.data)
    metrics["subjects"] = {**subjects, "folds": [fold.subjects["val"] for fold in folds]}
    if not run.cfg.validation.refit:
        return metrics, None
    epochs = validation.refit_epochs([m["best_epoch"] for m in fold_metrics], run.cfg.validation.refit_epochs)
    data = run.data.resplit(subjects, empty_val=True)
    run.folder.write_data(_data_json(run.cfg, data))
    print(
        f"refit: every non-test subject for {epochs} epochs ({run.cfg.validation.refit_epochs} best epoch of the folds)",
        flush=True,
    )
    fitted = _fit(run, data, run.run_dir, epoch_hooks, epochs=epochs, tag="refit/")
    metrics.update(
        {
            "refit/epochs": epochs,
            **fitted.train_metrics,
            **evaluate(fitted.checkpoint, data, ("test",), run.run_dir, run.logger),  # test, once
            **_baseline(run, data, ("test",)),
        }
    )
    return metrics, fitted


def _run_fold(run: _Run, fold: validation.Fold, epoch_hooks) -> dict[str, Any]:
    """One fold's metrics: trained now, or read back when an identical fold already finished."""
    folder = run.folder.fold(fold.name)
    fold_dir = folder.path
    fingerprint = _fold_fingerprint(run.config, fold)
    if folder.metrics.is_file():
        previous = folder.read_metrics()
        if previous.get("fingerprint") == fingerprint:
            print(f"{fold.name}: finished before, reusing {folder.metrics}", flush=True)
            return previous
    data = run.data.resplit(fold.subjects)
    fold_dir.mkdir(parents=True, exist_ok=True)
    folder.write_data(_data_json(run.cfg, data))
    fitted = _fit(run, data, fold_dir, epoch_hooks, tag=f"{fold.name}/")
    splits = ("val", "test") if run.cfg.validation.test_fold_models else ("val",)
    metrics = {
        **fitted.train_metrics,
        **evaluate(fitted.checkpoint, data, splits, fold_dir, run.logger, tag=f"{fold.name}/"),
        **_baseline(run, data, splits),
        "best_epoch": fitted.best_epoch,
        "epochs_trained": len(fitted.history),
        "model/params": fitted.params,
        "subjects": data.subjects,
        "fingerprint": fingerprint,
    }
    folder.write_history(fitted.history)
    folder.write_metrics(metrics)
    return metrics


# What makes a finished fold reusable: the whole resolved config but these keys, and the
# fold's subjects. A deny-list, so that any setting added later invalidates finished folds.
FOLD_REUSE = CacheKeys(
    "folds",
    depends_on=None,
    ignores={
        "paths": "where the run is written, not what it trains",
        "logger": "how the run is logged, not what it trains",
        "validation.refit": "whether a refit follows the folds, not what a fold trains",
    },
)


def _fold_fingerprint(config: dict[str, Any], fold: validation.Fold) -> str:
    """The key under which a finished fold is reused (`FOLD_REUSE`)."""
    return cache_key({"config": FOLD_REUSE.parts(config), "subjects": fold.subjects})


def _baseline(run: _Run, data: WindowedData, splits: Sequence[str]) -> dict[str, Any]:
    """The forest's `baseline/*` on the same windows, unless `baseline=none`."""
    if "_target_" not in run.cfg.baseline:  # baseline=none
        return {}
    return instantiate(run.cfg.baseline, "baseline").fit_score(
        data.train,
        {split: data.split(split) for split in splits},
        class_names=data.class_names,
        channels=list(data.channels),
        threads=run.cfg.trainer.threads,
    )


def _data_json(cfg: DictConfig, data: WindowedData) -> dict[str, Any]:
    return {**data.summary(), "normaliser": data.normaliser.to_dict(), "dataset": cfg.data.name}


def _write_results(run: _Run, metrics: dict[str, Any], fitted: Fitted | None) -> None:
    """metrics.json, history.csv, the W&B summary and checkpoint artifact; the closing line."""
    if fitted is not None:
        metrics.update(
            {
                "model/params": fitted.params,
                "epochs_trained": len(fitted.history),
                "best_epoch": fitted.best_epoch,
                **fitted.synth,
            }
        )
        run.folder.write_history(fitted.history)
    metrics.setdefault("subjects", run.data.subjects)
    metrics["seed"] = int(run.cfg.trainer.seed)
    metrics["macro_f1_scope"] = MACRO_F1_SCOPE
    metrics.update(placement(run.distribution))  # "device": "gpu:<index>" | "cpu", "replicas": N
    run.folder.write_metrics(metrics)
    run.logger.log_summary(
        {k: v for k, v in metrics.items() if k not in ("subjects", "cv/folds", "baseline/windows")}
    )
    if fitted is not None:
        run.logger.log_artifact(
            fitted.checkpoint,
            name=f"model-{run.run_dir.name}",
            type="model",
            metadata={TEST_MACRO_F1: metrics[TEST_MACRO_F1]},
        )
        print(
            f"test/accuracy {metrics[TEST_ACCURACY]:.4f}  test/macro_f1 {metrics[TEST_MACRO_F1]:.4f}  "
            f"baseline test/macro_f1 {metrics.get(baseline_of(TEST_MACRO_F1), float('nan')):.4f}  "
            f"(best epoch {fitted.best_epoch}, {metrics['seconds']:.0f}s)  -> {run.run_dir}",
            flush=True,
        )
    else:
        print(f"folds only (validation.refit=false): no test evaluation  -> {run.run_dir}", flush=True)


def _result(run: _Run, metrics: dict[str, Any]) -> TrainResult:
    folder = run.folder
    return TrainResult(
        metrics, run.run_dir, folder.checkpoint, folder.files(), getattr(run.logger, "run_id", None)
    )
