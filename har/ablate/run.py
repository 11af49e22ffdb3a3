"""`har-ablate`: a grid over chosen factors x seeds, one `train(cfg)` per cell.

    har-ablate name=augmentation 'factors={augment:[none,light,strong,um2017]}' 'seeds=[0,1,2]'

Every run is judged by `validation` (default `subject_kfold`: k subject folds, no refit), so
each cell has k x seeds validation scores. Writes, under the ablation folder: `results.csv`
(one row per run), `summary.csv` and `summary.md` (mean, std and a 95% t-interval per factor
combination, with the seeds and the split), `paired.csv` (every level against the reference
level: the mean difference of fold validation scores, paired over folds x seeds, and its 95%
interval; the paired test difference beside it, for reading), `ablation.png` and `paired.png`.
W&B runs share `group=<name>`. A finished cell is not run again when the command is repeated.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf
from scipy import stats

from har import validation
from har.ablate.state import check_config_dirs, remember_config_dirs
from har.config import ConfigError, check_experiment, check_override_sets, compose, override_key, to_container
from har.io import atomic_write, write_csv, write_text
from har.metrics import TEST_ACCURACY, TEST_MACRO_F1, VAL_MACRO_F1, fold_models_of
from har.training import RunFolder
from har.validation import compare, fold_scores
from har.validation import plot_paired as plot_paired

METRICS = (TEST_MACRO_F1, TEST_ACCURACY, VAL_MACRO_F1, "seconds")


def cells(factors: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of factor values, in a stable order."""
    keys = list(factors)
    return [dict(zip(keys, values)) for values in itertools.product(*(factors[k] for k in keys))]


def _cell_name(cell: dict[str, Any], seed: int) -> str:
    # no '=' or '/': the name becomes part of a path passed as a Hydra override
    parts = [f"{key.split('.')[-1]}-{value}" for key, value in cell.items()]
    return "_".join(parts + [f"seed-{seed}"]).replace("/", "-").replace("=", "-")


def interval(values: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean, sample std, and the half-width of a t confidence interval."""
    array = np.asarray(values, dtype=float)
    if len(array) < 2:
        return float(array.mean()), float("nan"), float("nan")
    std = float(array.std(ddof=1))
    half = float(stats.t.ppf((1 + confidence) / 2, len(array) - 1) * std / np.sqrt(len(array)))
    return float(array.mean()), std, half


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
    _report(cfg, root, rows, factors)
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


def _report(cfg: DictConfig, root: Path, rows: list[dict[str, Any]], factors: dict[str, list[Any]]) -> None:
    """results.csv, summary.csv/.md, paired.csv and the two plots."""
    names = list(factors)
    write_csv(root / "results.csv", [{k: v for k, v in r.items() if k != "folds"} for r in rows])
    summary = summarise(rows, names, cfg.seeds)
    write_csv(root / "summary.csv", summary)
    paired = compare(rows, names, _reference(cfg, factors))
    write_csv(root / "paired.csv", paired)
    metrics = RunFolder(rows[0]["run"]).read_metrics()
    text = _markdown(cfg.name, summary, names, cfg.seeds, metrics["subjects"], cfg.validation)
    write_text(root / "summary.md", text + _paired_markdown(paired))
    plot(summary, names, root / "ablation.png", cfg.name)
    if paired:
        plot_paired(paired, root / "paired.png", f"{cfg.name}: paired against the reference")
    print((root / "summary.md").read_text())


def summarise(rows: list[dict[str, Any]], factors: list[str], seeds: list[int]) -> list[dict[str, Any]]:
    """Mean, std and 95% interval per factor combination, in the order the grid ran them."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[f] for f in factors), []).append(row)
    summary = []
    for key, group in groups.items():
        entry: dict[str, Any] = dict(zip(factors, key))
        entry["n_seeds"] = len(group)
        for metric in (VAL_MACRO_F1, TEST_MACRO_F1, TEST_ACCURACY):
            if any(metric not in r for r in group):
                continue
            mean, std, half = interval([r[metric] for r in group])
            entry.update({f"{metric} mean": mean, f"{metric} std": std, f"{metric} ci95": half})
        summary.append(entry)
    return summary


def _markdown(
    name: str, summary: list[dict[str, Any]], factors: list[str], seeds: list[int], split: dict, method: str
) -> str:
    if method == "holdout":
        judged = f"holdout: train {' '.join(split['train'])}, val {' '.join(split['val'])}"
        test = "test from the best checkpoint"
    else:
        judged = (
            f"{len(split['folds'])} subject folds over {' '.join(split['train'])} (val = mean over folds)"
        )
        test = "test = mean of the fold models' test scores"
    lines = [
        f"# Ablation `{name}`",
        "",
        f"Seeds {list(seeds)}; split by subject, test subjects {' '.join(split['test'])}; {judged}; {test}. "
        "Mean ± std over seeds, [95% t-interval].",
        "",
        "| " + " | ".join(factors) + " | n | val macro-F1 | test macro-F1 | test accuracy |",
        "| " + " | ".join("---" for _ in factors) + " | --- | --- | --- | --- |",
    ]
    for entry in summary:
        cells_text = []
        for metric in (VAL_MACRO_F1, TEST_MACRO_F1, TEST_ACCURACY):
            if f"{metric} mean" not in entry:
                cells_text.append("–")
                continue
            mean, std, half = entry[f"{metric} mean"], entry[f"{metric} std"], entry[f"{metric} ci95"]
            if entry["n_seeds"] < 2:  # one seed has no spread: the paired table below has the intervals
                cells_text.append(f"{mean:.3f}")
                continue
            cells_text.append(f"{mean:.3f} ± {std:.3f} [{mean - half:.3f}, {mean + half:.3f}]")
        lines.append(
            "| "
            + " | ".join(str(entry[f]) for f in factors)
            + f" | {entry['n_seeds']} | "
            + " | ".join(cells_text)
            + " |"
        )
    return "\n".join(lines) + "\n"


def _paired_markdown(paired: list[dict[str, Any]]) -> str:
    if not paired:
        return ""
    lines = [
        "",
        "## Paired against the reference level",
        "",
        "Difference of validation macro-F1, paired over folds x seeds (everything else equal), "
        "with its 95% t-interval; an interval that excludes 0 is a difference the protocol can "
        "see. The paired test difference is for reading only.",
        "",
        "| factor | level | reference | others | pairs | val difference [95%] | test difference |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in paired:
        test = "–" if row["test_diff"] is None else f"{row['test_diff']:+.3f}"
        lines.append(
            f"| {row['factor']} | {row['level']} | {row['reference']} | {row['others'] or '–'} | {row['pairs']} | "
            f"{row['val_diff']:+.3f} [{row['val_diff_low']:+.3f}, {row['val_diff_high']:+.3f}] | {test} |"
        )
    return "\n".join(lines) + "\n"


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def plot(summary: list[dict[str, Any]], factors: list[str], path: Path, title: str) -> Path:
    """Mean test macro-F1 with 95% intervals.

    A numeric last factor (e.g. `synth.ratio`) gives an ablation curve: that factor on the x
    axis, one line per combination of the others. Otherwise one point per combination.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def half(entry: dict[str, Any]) -> float:
        return 0.0 if np.isnan(entry["test/macro_f1 ci95"]) else entry["test/macro_f1 ci95"]

    figure, axis = plt.subplots(figsize=(max(5, 0.9 * len(summary) + 2), 4))
    *others, last = factors
    if _numeric([entry[last] for entry in summary]):
        lines: dict[tuple, list[dict[str, Any]]] = {}
        for entry in summary:
            lines.setdefault(tuple(entry[f] for f in others), []).append(entry)
        for key, entries in lines.items():
            entries = sorted(entries, key=lambda e: e[last])
            label = ", ".join(f"{f.split('.')[-1]}={v}" for f, v in zip(others, key)) or None
            axis.errorbar(
                [e[last] for e in entries],
                [e["test/macro_f1 mean"] for e in entries],
                yerr=[half(e) for e in entries],
                fmt="o-",
                capsize=4,
                label=label,
            )
        axis.set_xlabel(last)
        if others:
            axis.legend(fontsize=8)
    else:
        labels = [", ".join(str(entry[f]) for f in factors) for entry in summary]
        axis.errorbar(
            range(len(labels)),
            [entry["test/macro_f1 mean"] for entry in summary],
            yerr=[half(entry) for entry in summary],
            fmt="o",
            capsize=5,
        )
        axis.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        axis.set_xlabel(", ".join(factors))
    axis.set_ylabel("test macro-F1 (mean, 95% CI)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"), suffix=".png")
    plt.close(figure)
    return path
