"""What a finished sweep leaves behind: trials table, best config, summary (Markdown and LaTeX),
plots, and the study's summary run in W&B."""

from __future__ import annotations

import functools
import shlex
from pathlib import Path
from typing import Any

import optuna
from omegaconf import OmegaConf
from optuna.trial import FrozenTrial, TrialState

from har.io import atomic_write, write_csv, write_text
from har.metrics import TEST_MACRO_F1, VAL_MACRO_F1, baseline_of, cv_std_of, fold_models_of
from har.sweep.best import best_trials
from har.sweep.settings import train_overrides_of
from har.sweep.storage import SETTINGS
from har.sweep.verdicts import baseline_table, ranking_lines, test_figure
from har.training import RunFolder
from har.validation import MIN_TRIALS_FOR_RANKING, booktabs, markdown_table, spearman_interval


def trials_table(study: optuna.Study) -> list[dict[str, Any]]:
    rows = []
    for trial in study.get_trials(deepcopy=False):
        values = trial.values or []
        rows.append(
            {
                "number": trial.number,
                "state": trial.state.name,
                **{
                    f"value/{name}": (values[i] if i < len(values) else None)
                    for i, name in enumerate(
                        study.metric_names or [f"objective_{i}" for i in range(len(study.directions))]
                    )
                },
                "validation": trial.user_attrs.get("validation", None),
                "cv_std": trial.user_attrs.get(cv_std_of(VAL_MACRO_F1), None),
                fold_models_of(TEST_MACRO_F1): trial.user_attrs.get(fold_models_of(TEST_MACRO_F1), None),
                TEST_MACRO_F1: test_figure(trial, TEST_MACRO_F1),
                baseline_of(VAL_MACRO_F1): trial.user_attrs.get(baseline_of(VAL_MACRO_F1), None),
                baseline_of(TEST_MACRO_F1): trial.user_attrs.get(baseline_of(TEST_MACRO_F1), None),
                fold_models_of(baseline_of(TEST_MACRO_F1)): trial.user_attrs.get(
                    fold_models_of(baseline_of(TEST_MACRO_F1)), None
                ),
                "model/params": trial.user_attrs.get("model/params", None),
                "epochs": trial.user_attrs.get("epochs_trained", None),
                "seconds": trial.user_attrs.get("seconds", None),
                "device": trial.user_attrs.get("device", ""),  # gpu:<index> | cpu, as its worker was given
                "vae_cache_hit": trial.user_attrs.get("synth/vae_cache_hit", None),
                "overrides": " ".join(trial.user_attrs.get("overrides", [])),
                "error": trial.user_attrs.get(
                    "error", ""
                ),  # strings stay strings: W&B tables want one type per column
                "run_dir": trial.user_attrs.get("run_dir", ""),
            }
        )
    return rows


def complete_count(rows: list[dict[str, Any]]) -> int:
    return sum(1 for r in rows if r["state"] == "COMPLETE")


def selection_vs_test(rows: list[dict[str, Any]], value: str) -> dict[str, Any] | None:
    """Spearman's rank correlation of the selection score with test over complete trials.

    Test is the fold models' mean test score under cross-validation (less noisy than one
    training), else the trial's own test score; read, never used to choose. None below
    `MIN_TRIALS_FOR_RANKING` trials with both figures: so few ranks say nothing.
    """
    complete = [r for r in rows if r["state"] == "COMPLETE" and r[value] is not None]
    measure = (
        fold_models_of(TEST_MACRO_F1)
        if complete and all(r[fold_models_of(TEST_MACRO_F1)] is not None for r in complete)
        else TEST_MACRO_F1
    )
    pairs = [(r[value], r[measure]) for r in complete if r[measure] is not None]
    if len(pairs) < MIN_TRIALS_FOR_RANKING:
        return None
    rho, low, high = spearman_interval([p[0] for p in pairs], [p[1] for p in pairs])
    return {"spearman": rho, "low": low, "high": high, "trials": len(pairs), "test": measure}


def best_command(study: optuna.Study, trial: FrozenTrial, config_dirs: list[Path] = ()) -> str:
    """The `har-train` command that trains `trial` again.

    It holds everything the trial was composed with, except its output folder: the study's
    `--config-dir` folders (`config_dirs`, written by `write_config_dirs`), the sweep's
    `train_overrides` as they were when the trial ran (they carry the preset's trainer
    settings), the sampled values, and (from the trial's config.yaml) the paths and the W&B
    group. Composing it gives the trial's resolved config.
    """
    overrides = [f"--config-dir={folder.resolve()}" for folder in config_dirs]
    overrides += [*train_overrides_of(study, trial.number), *trial.user_attrs.get("overrides", [])]
    folder = RunFolder(trial.user_attrs.get("run_dir", ""))
    if folder.config.is_file():
        cfg = folder.read_config()
        overrides.append(f"paths.root={cfg.paths.root}")
        if Path(cfg.paths.cache_dir) != Path(cfg.paths.root) / "cache":
            overrides.append(f"paths.cache_dir={cfg.paths.cache_dir}")
        if cfg.logger.get("group"):
            overrides.append(f"logger.group={cfg.logger.group}")
    return "har-train " + " ".join(shlex.quote(o) for o in overrides)


def write_config_dirs(study: optuna.Study, sweep_dir: Path) -> list[Path]:
    """The study's copy of its `--config-dir` folders, written beside the summary
    (`config_dir/`, or `config_dir_<i>/` for several), for the best command to compose from."""
    contents = study.user_attrs.get(SETTINGS, {}).get("config_dir") or []
    folders = []
    for number, files in enumerate(contents):
        folder = sweep_dir / ("config_dir" if len(contents) == 1 else f"config_dir_{number}")
        for name, text in files.items():
            write_text(folder / name, text)
        folders.append(folder)
    return folders


def write_best_config(study: optuna.Study, trial: FrozenTrial, sweep_dir: Path) -> Path | None:
    """The best trial's resolved config (`best_config.yaml`) and its `best_command.txt`, which
    composes from the study's `--config-dir` copy written beside them (`write_config_dirs`)."""
    command = best_command(study, trial, write_config_dirs(study, sweep_dir))
    folder = RunFolder(trial.user_attrs.get("run_dir", ""))
    if not folder.config.is_file():
        return None
    cfg = folder.read_config()
    cfg.paths.output_dir = "${hydra:runtime.output_dir}"
    target = sweep_dir / "best_config.yaml"
    write_text(
        target,
        f"# The resolved config of trial {trial.number}; train it again with best_command.txt:\n# {command}\n"
        + OmegaConf.to_yaml(cfg),
    )
    write_text(sweep_dir / "best_command.txt", command + "\n")
    return target


def _fanova() -> optuna.importance.FanovaImportanceEvaluator:
    # named explicitly: optuna 5's default evaluator is PED-ANOVA
    return optuna.importance.FanovaImportanceEvaluator(seed=0)


def importances(study: optuna.Study) -> dict[str, float]:
    """fANOVA importances; empty below `MIN_TRIALS_FOR_RANKING` complete trials (too few to rank)."""
    if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < MIN_TRIALS_FOR_RANKING:
        return {}
    try:
        return optuna.importance.get_param_importances(study, evaluator=_fanova())
    except (RuntimeError, ValueError, ZeroDivisionError):  # too few trials, or a one-point space
        return {}


def plots(study: optuna.Study, sweep_dir: Path) -> list[Path]:
    """Optimisation history and parameter importances as PNG (matplotlib)."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as optuna_plots

    written = []
    makers = {
        "history": optuna_plots.plot_optimization_history,
        "importances": functools.partial(optuna_plots.plot_param_importances, evaluator=_fanova()),
    }
    if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < MIN_TRIALS_FOR_RANKING:
        del makers["importances"]  # summary.md says why
    if len(study.directions) > 1:
        makers = {"pareto_front": optuna_plots.plot_pareto_front}
    for name, make in makers.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                axis = (
                    make(study)
                    if name != "history"
                    else make(study, target_name=study.metric_names[0] if study.metric_names else "objective")
                )
        except (ValueError, RuntimeError, ZeroDivisionError):
            continue
        figure = axis.figure if hasattr(axis, "figure") else axis[0].figure
        figure.set_size_inches(8, 5)
        figure.tight_layout()
        path = sweep_dir / f"{name}.png"
        atomic_write(path, lambda p, f=figure: f.savefig(p, dpi=110, format="png"), suffix=".png")
        plt.close(figure)
        written.append(path)
    return written


def summarise(study: optuna.Study, sweep_dir: Path, logger) -> dict[str, Any]:
    """trials.csv, summary.md, best_config.yaml, plots and the sweep's W&B run."""
    rows = trials_table(study)
    write_csv(sweep_dir / "trials.csv", rows)
    best = best_trials(study)
    best_config = write_best_config(study, best[0], sweep_dir) if best else None
    ranking = importances(study) if len(study.directions) == 1 else {}
    states = {state.name: sum(1 for r in rows if r["state"] == state.name) for state in TrialState}
    names = study.metric_names or ["objective"]
    correlation = selection_vs_test(rows, f"value/{names[0]}") if len(names) == 1 else None
    best_rows = _best_table(best, names)
    baseline = baseline_table(study, best[0]) if best else None
    lines = [
        f"# Sweep `{study.study_name}`",
        "",
        f"Trials: {len(rows)} ({', '.join(f'{k.lower()} {v}' for k, v in states.items() if v)}). "
        f"Objective(s): {', '.join(f'{n} ({d.name.lower()})' for n, d in zip(names, study.directions))}. "
        f"{_selection_text(rows)} Test figures are reported, never used to choose.",
        "",
        "## Best" + (" (Pareto front)" if len(best) > 1 else ""),
        "",
        *markdown_table(*best_rows),
        "",
        _FIGURES,
        "",
        "## Selection score vs test",
        "",
        *ranking_lines(correlation, complete_count(rows), "rank correlation"),
    ]
    if baseline:
        lines += ["", "## Against the baseline", "", *markdown_table(*baseline.table), "", baseline.sentence]
    vae_uses = [r["vae_cache_hit"] for r in rows if r["vae_cache_hit"] is not None]
    if vae_uses:
        lines += [
            "",
            f"Synthetic data: {len(vae_uses)} trials used a VAE; {vae_uses.count(False)} trained it, "
            f"{vae_uses.count(True)} loaded it from the VAE cache.",
        ]
    importance_rows = [[k, f"{v:.3f}"] for k, v in ranking.items()]
    lines += _importance_lines(
        importance_rows, single=len(study.directions) == 1, complete=complete_count(rows)
    )
    if best_config:
        lines += [
            "",
            f"Best config: `{best_config.name}` (run it again: `{(sweep_dir / 'best_command.txt').read_text().strip()}`).",
        ]
    tables = [booktabs(*best_rows, caption=f"Sweep {study.study_name}: best trial. {_FIGURES}")]
    if baseline:
        tables.append(booktabs(*baseline.table, caption=f"Sweep {study.study_name}: {baseline.sentence}"))
    if ranking:
        tables.append(
            booktabs(["parameter", "importance"], importance_rows, caption="Parameter importances (fANOVA)")
        )
    write_text(sweep_dir / "summary.tex", "\n".join(tables))
    write_text(sweep_dir / "summary.md", "\n".join(lines) + "\n")
    images = plots(study, sweep_dir)
    _log_run(
        logger,
        study,
        sweep_dir,
        rows,
        images,
        summary={
            "best/number": best[0].number if best else None,
            "best/values": list(best[0].values) if best else None,
            **({f"selection/{k}": v for k, v in correlation.items()} if correlation else {}),
            **{f"importance/{k}": v for k, v in ranking.items()},
            "states": states,
        },
    )
    return {
        "best": best,
        "importances": ranking,
        "states": states,
        "best_config": best_config,
        "selection": correlation,
    }


def _importance_lines(importance_rows: list[list[str]], *, single: bool, complete: int) -> list[str]:
    lines = ["", "## Parameter importances (fANOVA)", ""]
    if importance_rows:
        return lines + markdown_table(["parameter", "importance"], importance_rows)
    if single:
        return lines + ranking_lines(None, complete, "importances")
    return lines + ["Multi-objective study: no single ranking of parameters (see the Pareto front)."]


def _log_run(logger, study: optuna.Study, sweep_dir: Path, rows, images: list[Path], *, summary) -> None:
    """The study's summary run: the trials table, the plots and the summary figures."""
    with logger.start(
        run_dir=sweep_dir,
        name=f"{study.study_name}-summary",  # the logger's own name (the driver sets the same) wins
        config={"study": study.study_name, "trials": len(rows)},
    ):
        columns = list(rows[0]) if rows else []
        logger.log_table("sweep/trials", columns, [[r[c] for c in columns] for r in rows])
        for path in images:
            logger.log_image(f"sweep/{path.stem}", path)
        logger.log_summary(summary)


def _selection_text(rows: list[dict[str, Any]]) -> str:
    methods = {r["validation"] for r in rows if r["validation"]}
    if methods == {"subject_kfold"}:
        return "Selection is on the mean validation score over subject folds (± its std over folds)."
    return "Selection is on validation."


def _cell(value: Any, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


_FIGURES = (
    "Final model: the refit on every non-test subject (subject k-fold), or the trial's own model (holdout). "
    "Fold models: the mean test score of the k fold models. Forest: the baseline (a forest on window "
    "statistics, same windows) trained the same way as the final model."
)


def _best_table(best: list[FrozenTrial], names: list[str]) -> tuple[list[str], list[list[str]]]:
    columns = [
        "trial",
        *names,
        "± std over folds",
        "test/macro_f1 (final model)",
        "test/macro_f1 (fold models)",
        "forest test/macro_f1 (final)",
        "params",
        "overrides",
    ]
    rows = []
    for trial in best:
        attrs = trial.user_attrs
        rows.append(
            [
                str(trial.number),
                *(f"{v:.4f}" for v in trial.values),
                _cell(attrs.get(cv_std_of(VAL_MACRO_F1))),
                _cell(test_figure(trial, TEST_MACRO_F1)),
                _cell(attrs.get(fold_models_of(TEST_MACRO_F1))),
                _cell(test_figure(trial, baseline_of(TEST_MACRO_F1))),
                str(test_figure(trial, "model/params") or ""),
                f"`{' '.join(attrs.get('overrides', []))}`",
            ]
        )
    return columns, rows
