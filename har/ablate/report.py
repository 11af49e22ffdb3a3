"""What a finished ablation leaves behind: per-run results, the cell table, the paired table,
their plots, each table as CSV, Markdown and LaTeX (booktabs), and a W&B summary run.

    results.csv                 one row per run (cell x seed)
    summary.csv / summary.tex   mean, std and clipped 95% t-interval per cell, over seeds
    paired.csv / paired.tex     every level against its reference, paired over folds x seeds,
                                with the corrected resampled t interval (Nadeau & Bengio, 2003)
    summary.md                  both tables, and how they were measured
    ablation.png, paired.png    the two plots
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from har.config import instantiate
from har.io import atomic_write, write_csv, write_text
from har.metrics import TEST_ACCURACY, TEST_MACRO_F1, VAL_MACRO_F1
from har.training import RunFolder
from har.validation import SCORE_RANGE, booktabs, compare, markdown_table, t_interval
from har.validation import plot_paired as plot_paired

CELL_METRICS = (VAL_MACRO_F1, TEST_MACRO_F1, TEST_ACCURACY)
INTERVAL_NOTE = (
    "Interval: the corrected resampled t interval (Nadeau & Bengio, 2003), variance inflated by "
    "(1/J + n_val/n_train) over J pairs (n counted in subjects): every seed reuses the same fold partitions and any two folds "
    "share most of their training subjects, so the pairs are not independent and the plain t interval "
    "would be too narrow."
)


def summarise(rows: list[dict[str, Any]], factors: list[str]) -> list[dict[str, Any]]:
    """Mean, std and clipped 95% t interval per factor combination, in the order the grid ran them.

    One seed has no spread: its std and bounds are None (empty in the csv), never NaN.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[f] for f in factors), []).append(row)
    summary = []
    for key, group in groups.items():
        entry: dict[str, Any] = dict(zip(factors, key))
        entry["n_seeds"] = len(group)
        for metric in CELL_METRICS:
            if any(r.get(metric) is None for r in group):
                continue
            values = [float(r[metric]) for r in group]
            interval = t_interval(values, bounds=SCORE_RANGE)
            entry.update(
                {
                    f"{metric} mean": interval.mean,
                    f"{metric} std": float(np.std(values, ddof=1)) if len(values) > 1 else None,
                    f"{metric} low": interval.low,
                    f"{metric} high": interval.high,
                }
            )
        summary.append(entry)
    return summary


def cell_table(summary: list[dict[str, Any]], factors: list[str]) -> tuple[list[str], list[list[str]]]:
    """Columns and rows of the cell table: `mean ± std [low, high]` per metric (the mean alone for one seed)."""
    columns = [*factors, "n", "val macro-F1", "test macro-F1", "test accuracy"]
    rows = []
    for entry in summary:
        cells = []
        for metric in CELL_METRICS:
            mean = entry.get(f"{metric} mean")
            if mean is None:
                cells.append("–")
            elif entry.get(f"{metric} low") is None:  # one seed: the paired table has the intervals
                cells.append(f"{mean:.3f}")
            else:
                std, low, high = (entry[f"{metric} {part}"] for part in ("std", "low", "high"))
                cells.append(f"{mean:.3f} ± {std:.3f} [{low:.3f}, {high:.3f}]")
        rows.append([*(str(entry[f]) for f in factors), str(entry["n_seeds"]), *cells])
    return columns, rows


def paired_table(paired: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Columns and rows of the paired table; a row without an interval says why."""
    columns = ["factor", "level", "reference", "others", "pairs", "val difference [95%]", "test difference"]
    rows = []
    for row in paired:
        low, high = row["val_diff_low"], row["val_diff_high"]
        difference = (
            f"{row['val_diff']:+.3f} [{low:+.3f}, {high:+.3f}]"
            if low is not None
            else f"{row['val_diff']:+.3f} ({row['note']})"
        )
        test = "–" if row["test_diff"] is None else f"{row['test_diff']:+.3f}"
        rows.append(
            [
                row["factor"],
                str(row["level"]),
                str(row["reference"]),
                row["others"] or "–",
                str(row["pairs"]),
                difference,
                test,
            ]
        )
    return columns, rows


def test_train_ratio(rows: list[dict[str, Any]]) -> float:
    """Validation over training subjects of one fold (the holdout split), averaged over the runs.

    Nadeau and Bengio's n_test/n_train, counted in subjects: folds are drawn by subject, the
    overlap of two folds' training sets is an overlap of subjects, and one subject's windows
    are not independent (nor does `data.train_fraction`, which thins training windows only,
    change how much two folds share).
    """
    ratios = []
    for row in rows:
        folder = RunFolder(row["run"])
        for fold in folder.folds() or [folder]:
            splits = fold.read_data()["splits"]
            if splits["train"]["subjects"]:
                ratios.append(len(splits["val"]["subjects"]) / len(splits["train"]["subjects"]))
    return float(np.mean(ratios)) if ratios else 0.0


def write_report(
    cfg: DictConfig,
    root: Path,
    rows: list[dict[str, Any]],
    factors: list[str],
    reference: dict[str, Any],
) -> None:
    """results.csv; the cell and paired tables as csv, Markdown and LaTeX; the plots; the W&B summary run."""
    write_csv(root / "results.csv", [{k: v for k, v in r.items() if k != "folds"} for r in rows])
    summary = summarise(rows, factors)
    write_csv(root / "summary.csv", summary)
    ratio = test_train_ratio(rows)
    paired = compare(rows, factors, reference, test_train_ratio=ratio)
    write_csv(root / "paired.csv", paired)
    cells = cell_table(summary, factors)
    pairs = paired_table(paired)
    metrics = RunFolder(rows[0]["run"]).read_metrics()
    protocol = _protocol(cfg.seeds, metrics["subjects"], cfg.validation)
    write_text(
        root / "summary.tex", booktabs(*cells, caption=f"{cfg.name}: {protocol}", label=f"tab:{cfg.name}")
    )
    write_text(
        root / "paired.tex",
        booktabs(
            *pairs,
            caption=f"{cfg.name}: paired against the reference. {INTERVAL_NOTE}",
            label=f"tab:{cfg.name}-paired",
        ),
    )
    text = "\n".join(
        [
            f"# Ablation `{cfg.name}`",
            "",
            f"{protocol} Mean ± std over seeds, [95% t-interval, clipped to [0, 1]].",
            "",
            *markdown_table(*cells),
            *_paired_section(pairs, ratio, bool(paired)),
        ]
    )
    write_text(root / "summary.md", text + "\n")
    images = [plot(summary, factors, root / "ablation.png", cfg.name)]
    if paired:
        images.append(plot_paired(paired, root / "paired.png", f"{cfg.name}: paired against the reference"))
    _log_summary_run(cfg, root, {"cells": cells, "paired": pairs}, images)
    print((root / "summary.md").read_text())


def _protocol(seeds: list[int], split: dict[str, Any], method: str) -> str:
    if method == "holdout":
        judged = f"holdout: train {' '.join(split['train'])}, val {' '.join(split['val'])}"
        test = "test from the best checkpoint"
    else:
        judged = (
            f"{len(split['folds'])} subject folds over {' '.join(split['train'])} (val = mean over folds)"
        )
        test = "test = mean of the fold models' test scores"
    return (
        f"Seeds {list(seeds)}; split by subject, test subjects {' '.join(split['test'])}; {judged}; {test}."
    )


def _paired_section(pairs: tuple[list[str], list[list[str]]], ratio: float, any_pairs: bool) -> list[str]:
    if not any_pairs:
        return []
    return [
        "",
        "## Paired against the reference level",
        "",
        "Difference of validation macro-F1, paired over folds x seeds (everything else equal), with its "
        f"95% interval; an interval that excludes 0 is a difference the protocol can see. {INTERVAL_NOTE} "
        f"Here n_val/n_train = {ratio:.3f}. The paired test difference is for reading only.",
        "",
        *markdown_table(*pairs),
    ]


def _log_summary_run(
    cfg: DictConfig, root: Path, tables: dict[str, tuple[list[str], list[list[str]]]], images: list[Path]
) -> None:
    """One W&B run for the whole ablation, in its group: the cell and paired tables and plots.

    Its logger is the cells' own (read from the first run's config), so `logger=none` in
    `overrides` turns it off too.
    """
    first = next(iter(sorted((root / "runs").iterdir())), None)
    if first is None or not RunFolder(first).config.is_file():
        return
    node = RunFolder(first).read_config().logger
    settings = OmegaConf.merge(
        node,
        {
            "name": f"{cfg.name}-summary",
            "job_type": "ablation-summary",
            "group": cfg.name if cfg.logger_group else None,
        },
    )
    logger = instantiate(settings, "logger")
    with logger.start(
        run_dir=root, name=f"{cfg.name}-summary", config=OmegaConf.to_container(cfg, resolve=True)
    ):
        for key, (columns, rows) in tables.items():
            logger.log_table(f"ablation/{key}", columns, rows)
        for path in images:
            logger.log_image(f"ablation/{path.stem}_plot", path)  # not the table's key


def load(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """summary.csv and paired.csv of an ablation folder, typed again (for the notebook).

    Returns:
        (summary, paired, factors); `paired` is empty when the folder has no paired.csv.
    """
    summary = [_typed(row) for row in _read_csv(folder / "summary.csv")]
    factors = list(summary[0])[: list(summary[0]).index("n_seeds")] if summary else []
    paired = (
        [_typed(row) for row in _read_csv(folder / "paired.csv")] if (folder / "paired.csv").is_file() else []
    )
    for row in paired:
        row["others"] = row["others"] or ""
        row["note"] = row.get("note") or ""
    return summary, paired, factors


def _read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


def _typed(row: dict[str, str]) -> dict[str, Any]:
    def value(text: str) -> Any:
        if text == "":
            return None
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text

    return {key: value(text) for key, text in row.items()}


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def plot(summary: list[dict[str, Any]], factors: list[str], path: Path, title: str) -> Path:
    """`cells_figure` written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = cells_figure(summary, factors, title)
    atomic_write(path, lambda p: drawn.savefig(p, dpi=110, format="png"), suffix=".png")
    plt.close(drawn)
    return path


def cells_figure(summary: list[dict[str, Any]], factors: list[str], title: str):
    """Mean test macro-F1 with its 95% interval (within [0, 1]; none for one seed).

    A numeric last factor (e.g. `synth.ratio`) gives an ablation curve: that factor on the x
    axis, one line per combination of the others. Otherwise one point per combination.
    """
    import matplotlib.pyplot as plt

    metric = TEST_MACRO_F1

    def errors(entries: list[dict[str, Any]]) -> list[list[float]]:
        below = [
            0.0 if e[f"{metric} low"] is None else e[f"{metric} mean"] - e[f"{metric} low"] for e in entries
        ]
        above = [
            0.0 if e[f"{metric} high"] is None else e[f"{metric} high"] - e[f"{metric} mean"] for e in entries
        ]
        return [below, above]

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
                [e[f"{metric} mean"] for e in entries],
                yerr=errors(entries),
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
            [entry[f"{metric} mean"] for entry in summary],
            yerr=errors(summary),
            fmt="o",
            capsize=5,
        )
        axis.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        axis.set_xlabel(", ".join(factors))
    bottom, top = axis.get_ylim()
    axis.set_ylim(max(0.0, bottom), min(1.0, top))  # a score's axis never runs past its range
    axis.set_ylabel("test macro-F1 (mean, 95% CI)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure
