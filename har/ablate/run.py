"""`har-ablate`: a grid over chosen factors x seeds, one `train(cfg)` per cell.

    har-ablate name=augmentation 'factors={augment:[none,light,strong,um2017]}' 'seeds=[0,1,2]'

Every run is judged by `validation` (default `subject_kfold`: k subject folds, no refit), so
each cell has k x seeds validation scores. The report (`har.ablate.report`) writes, under the
ablation folder, `results.csv`, the cell table and the paired table (every level against the
reference level, paired over folds x seeds, with the corrected resampled t interval) as csv,
Markdown and LaTeX, and their plots. W&B runs share `group=<name>`, one per cell and seed and
one summary run. A finished cell is not run again when the command is repeated.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from har import validation
from har.ablate.report import write_report
from har.ablate.state import check_config_dirs, remember_config_dirs
from har.config import ConfigError, check_experiment, check_override_sets, compose, override_key, to_container
from har.metrics import TEST_ACCURACY, TEST_MACRO_F1, VAL_MACRO_F1, fold_models_of
from har.training import RunFolder
from har.validation import fold_scores

METRICS = (TEST_MACRO_F1, TEST_ACCURACY, VAL_MACRO_F1, "seconds")


def cells(factors: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of factor values, in a stable order."""
    keys = list(factors)
    return [dict(zip(keys, values)) for values in itertools.product(*(factors[k] for k in keys))]


def _cell_name(cell: dict[str, Any], seed: int) -> str:
    # no '=' or '/': the name becomes part of a path passed as a Hydra override
    parts = [f"{key.split('.')[-1]}-{value}" for key, value in cell.items()]
    return "_".join(parts + [f"seed-{seed}"]).replace("/", "-").replace("=", "-")


def run_ablation(cfg: DictConfig) -> Path:
    """Train every cell of the grid (skipping finished ones) and summarise.

    Every cell is composed and checked, and the fold plan of its data made, before the first
    trains (and before TensorFlow loads): a mistake in the last cell costs seconds.
    """
    check_experiment(cfg, "har-ablate")
    factors = OmegaConf.to_container(cfg.factors, resolve=True)
    if not factors or not isinstance(factors, dict):
        raise ConfigError("factors: give at least one factor, e.g. 'factors={augment:[none,light]}'")
    if cfg.validation not in validation.METHODS:
        raise ConfigError(f"validation={cfg.validation!r}: expected one of {', '.join(validation.METHODS)}")
    root = Path(cfg.paths.output_dir)
    grid = cells(factors)
    dirs = list(cfg.get("config_dirs") or [])
    _check_grid(cfg, factors, grid, dirs)
    runs = [
        (cell, seed, root / "runs" / _cell_name(cell, seed))
        for cell, seed in itertools.product(grid, cfg.seeds)
    ]
    finished = [RunFolder(run_dir).metrics.is_file() for _, _, run_dir in runs]
    content = check_config_dirs(root, dirs, any(finished))
    if not all(finished):
        _check_fold_plans(
            cfg, [(cell, run_dir) for (cell, _, run_dir), done in zip(runs, finished) if not done], dirs
        )
    remember_config_dirs(root, content)
    from keras import backend

    from har.training import train

    rows = []
    for number, (cell, seed, run_dir) in enumerate(runs, start=1):
        if not RunFolder(run_dir).metrics.is_file():
            print(f"[{number}/{len(runs)}] {_cell_name(cell, seed)}", flush=True)
            train(compose("train", _run_overrides(cfg, cell, seed, run_dir), config_dirs=dirs))
            backend.clear_session()
        else:
            print(f"[{number}/{len(runs)}] {_cell_name(cell, seed)}: done before, reusing", flush=True)
        rows.append(_row(cell, seed, RunFolder(run_dir).read_metrics(), run_dir))
    write_report(cfg, root, rows, list(factors), _reference(cfg, factors))
    return root


def _check_fold_plans(cfg: DictConfig, todo: list[tuple[dict[str, Any], Path]], dirs: list[str]) -> None:
    """The fold plan of every data config the cells to train use, checked before the first trains.

    The data is loaded as `har-train` loads it (the windows are cached for the cells); cells
    that differ only in what they train share one check.
    """
    from har.data import load_windows

    seen = set()
    for cell, run_dir in todo:
        train_cfg = compose("train", _run_overrides(cfg, cell, 0, run_dir), config_dirs=dirs)
        key = repr(to_container(train_cfg.data)) + repr(to_container(train_cfg.validation))
        if key not in seen:
            seen.add(key)
            validation.plan(train_cfg.validation, load_windows(train_cfg.data))


def _run_overrides(cfg: DictConfig, cell: dict[str, Any], seed: int, run_dir: Path) -> list[str]:
    overrides = [f"validation={cfg.validation}"]
    if cfg.validation != "holdout":
        overrides.append("validation.refit=false")  # the folds judge; test is read from fold models
    overrides += [
        *cfg.overrides,
        *_pairs(cell),
        f"trainer.seed={seed}",
        f"paths.output_dir={run_dir}",
        f"paths.cache_dir={cfg.paths.cache_dir}",
    ]
    overrides.append(f"logger.name={cfg.name}-{_cell_name(cell, seed)}")  # W&B: the ablation's cell and seed
    if cfg.logger_group:
        overrides += [f"logger.group={cfg.name}", "logger.job_type=ablation"]
    return overrides


def _check_grid(
    cfg: DictConfig, factors: dict[str, list[Any]], grid: list[dict[str, Any]], dirs: list[str]
) -> None:
    """Everything the grid can get wrong, before the first cell trains (a typo fails in seconds).

    Every cell's train config is composed once and checked as training would check it (a
    level that needs a generator the cell lacks); a factor also set in `overrides`, and a
    `reference` that is not a level of its factor, are refused. A setting that cannot take
    effect is said in one line.
    """
    for override in cfg.overrides:
        if override_key(override) in factors:
            raise ConfigError(f"overrides: {override} sets factor {override_key(override)}; drop one of them")
    _reference(cfg, factors)
    sets = [
        (f"factors ({' '.join(_pairs(cell))})", _run_overrides(cfg, cell, 0, Path("unused"))) for cell in grid
    ]
    for line in check_override_sets("train", sets, config_dirs=dirs):
        print(line, file=sys.stderr, flush=True)


def _pairs(cell: dict[str, Any]) -> list[str]:
    return [f"{k}={v}" for k, v in cell.items()]


def _reference(cfg: DictConfig, factors: dict[str, list[Any]]) -> dict[str, Any]:
    """The level every other level is paired against, per factor (the first unless given)."""
    reference = {f: (cfg.reference or {}).get(f, values[0]) for f, values in factors.items()}
    unknown = [f"{f}={v}" for f, v in reference.items() if v not in factors[f]]
    if unknown:
        raise ConfigError(f"reference: {', '.join(unknown)} is not a level of the factor")
    return reference


def _row(cell: dict[str, Any], seed: int, metrics: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """One run's figures; test is the refit's, else the fold models' mean (reading only)."""
    figures = {
        VAL_MACRO_F1: metrics[VAL_MACRO_F1],
        TEST_MACRO_F1: metrics.get(TEST_MACRO_F1, metrics.get(fold_models_of(TEST_MACRO_F1))),
        TEST_ACCURACY: metrics.get(TEST_ACCURACY, metrics.get(fold_models_of(TEST_ACCURACY))),
        "seconds": metrics["seconds"],
    }
    return {**cell, "seed": seed, **figures, "folds": fold_scores(metrics), "run": str(run_dir)}
