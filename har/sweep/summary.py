"""What a finished sweep leaves behind: trials table, best config, summary, plots, W&B run."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import optuna
from omegaconf import OmegaConf
from optuna.trial import FrozenTrial, TrialState

from har.io import atomic_write, write_csv, write_text
from har.sweep.best import best_trials


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
                "test/macro_f1": trial.user_attrs.get("test/macro_f1", None),
                "model/params": trial.user_attrs.get("model/params", None),
                "epochs": trial.user_attrs.get("epochs_trained", None),
                "seconds": trial.user_attrs.get("seconds", None),
                "vae_cache_hit": trial.user_attrs.get("synth/vae_cache_hit", None),
                "overrides": " ".join(trial.user_attrs.get("overrides", [])),
                "error": trial.user_attrs.get(
                    "error", ""
                ),  # strings stay strings: W&B tables want one type per column
                "run_dir": trial.user_attrs.get("run_dir", ""),
            }
        )
    return rows


def write_best_config(trial: FrozenTrial, sweep_dir: Path) -> Path | None:
    """The best trial's resolved config, ready to run again with `har-train`."""
    config = Path(trial.user_attrs.get("run_dir", "")) / "config.yaml"
    if not config.is_file():
        return None
    cfg = OmegaConf.load(config)
    cfg.paths.output_dir = "${hydra:runtime.output_dir}"
    target = sweep_dir / "best_config.yaml"
    write_text(
        target, "# har-train --config-path <this folder> --config-name best_config\n" + OmegaConf.to_yaml(cfg)
    )
    write_text(
        sweep_dir / "best_command.txt", "har-train " + " ".join(trial.user_attrs.get("overrides", [])) + "\n"
    )
    return target


def _fanova() -> optuna.importance.FanovaImportanceEvaluator:
    # named explicitly: optuna 5's default evaluator is PED-ANOVA
    return optuna.importance.FanovaImportanceEvaluator(seed=0)


def importances(study: optuna.Study) -> dict[str, float]:
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
    rows = trials_table(study)
    write_csv(sweep_dir / "trials.csv", rows)
    best = best_trials(study)
    best_config = write_best_config(best[0], sweep_dir) if best else None
    ranking = importances(study) if len(study.directions) == 1 else {}
    states = {state.name: sum(1 for r in rows if r["state"] == state.name) for state in TrialState}
    names = study.metric_names or ["objective"]
    lines = [
        f"# Sweep `{study.study_name}`",
        "",
        f"Trials: {len(rows)} ({', '.join(f'{k.lower()} {v}' for k, v in states.items() if v)}). "
        f"Objective(s): {', '.join(f'{n} ({d.name.lower()})' for n, d in zip(names, study.directions))}. "
        "Selection is on validation; test figures are reported, never used to choose.",
        "",
        "## Best" + (" (Pareto front)" if len(best) > 1 else ""),
        "",
        "| trial | " + " | ".join(names) + " | test/macro_f1 | params | overrides |",
        "|---|" + "---|" * len(names) + "---|---|---|",
    ]
    for trial in best:
        lines.append(
            f"| {trial.number} | "
            + " | ".join(f"{v:.4f}" for v in trial.values)
            + f" | {trial.user_attrs.get('test/macro_f1', float('nan')):.4f} | {trial.user_attrs.get('model/params', '')} | `{' '.join(trial.user_attrs.get('overrides', []))}` |"
        )
    vae_uses = [r["vae_cache_hit"] for r in rows if r["vae_cache_hit"] is not None]
    if vae_uses:
        lines += [
            "",
            f"Synthetic data: {len(vae_uses)} trials used a VAE; {vae_uses.count(False)} trained it, "
            f"{vae_uses.count(True)} loaded it from the VAE cache.",
        ]
    if ranking:
        lines += ["", "## Parameter importances (fANOVA)", "", "| parameter | importance |", "|---|---|"]
        lines += [f"| {k} | {v:.3f} |" for k, v in ranking.items()]
    if best_config:
        lines += [
            "",
            f"Best config: `{best_config.name}` (run it again: `{(sweep_dir / 'best_command.txt').read_text().strip()}`).",
        ]
    write_text(sweep_dir / "summary.md", "\n".join(lines) + "\n")
    images = plots(study, sweep_dir)
    with logger.start(
        run_dir=sweep_dir,
        name=f"sweep-{study.study_name}",
        config={"study": study.study_name, "trials": len(rows)},
    ):
        columns = list(rows[0]) if rows else []
        logger.log_table("sweep/trials", columns, [[r[c] for c in columns] for r in rows])
        for path in images:
            logger.log_image(f"sweep/{path.stem}", path)
        logger.log_summary(
            {
                "best/number": best[0].number if best else None,
                "best/values": list(best[0].values) if best else None,
                **{f"importance/{k}": v for k, v in ranking.items()},
                "states": states,
            }
        )
    return {"best": best, "importances": ranking, "states": states, "best_config": best_config}
