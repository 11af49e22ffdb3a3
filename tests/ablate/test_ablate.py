"""har-ablate: a factors x seeds grid, summary with intervals, resumable."""

from __future__ import annotations

import csv

import pytest

from har.ablate.run import run_ablation
from har.config import compose
from har.validation import t_interval


def test_interval_is_a_t_interval_clipped_to_the_score_range():
    interval = t_interval([0.75, 0.8, 0.85])
    assert interval.mean == pytest.approx(0.8)
    assert interval.high - interval.mean == pytest.approx(4.302653 * 0.05 / 3**0.5, rel=1e-5)  # t(0.975, 2)
    assert t_interval([0.8, 0.9, 1.0]).high == 1.0  # a mean score's interval stops at 1


@pytest.mark.slow
def test_grid_summary_and_resume(tmp_path, session_cache, capsys):
    cfg = compose(
        "ablate",
        [
            f"paths.output_dir={tmp_path}",
            f"paths.cache_dir={session_cache}",
            "name=tiny",
            "factors={augment:[none,light]}",
            "seeds=[0,1]",
            'overrides=["trainer.epochs=1","data.train_fraction=0.1","model.build.width=8","validation.k=2"]',
        ],
    )
    root = run_ablation(cfg)
    rows = list(csv.DictReader((root / "results.csv").read_text().splitlines()))
    assert [(r["augment"], r["seed"]) for r in rows] == [
        ("none", "0"),
        ("none", "1"),
        ("light", "0"),
        ("light", "1"),
    ]
    summary = list(csv.DictReader((root / "summary.csv").read_text().splitlines()))
    assert {r["augment"] for r in summary} == {"none", "light"} and all(r["n_seeds"] == "2" for r in summary)
    assert (
        "95% t-interval" in (root / "summary.md").read_text()
        and (root / "ablation.png").stat().st_size > 5000
    )
    paired = list(csv.DictReader((root / "paired.csv").read_text().splitlines()))
    assert [(r["factor"], r["level"], r["reference"], r["pairs"]) for r in paired] == [
        ("augment", "light", "none", "4")  # 2 seeds x 2 subject folds, paired
    ]
    assert (
        float(paired[0]["val_diff_low"]) <= float(paired[0]["val_diff"]) <= float(paired[0]["val_diff_high"])
    )
    text = (root / "summary.md").read_text()
    assert "Paired against the reference level" in text and "Nadeau & Bengio" in text
    assert paired[0]["interval"].startswith("corrected resampled t")
    assert (root / "paired.png").stat().st_size > 5000
    for name in ("summary.tex", "paired.tex"):  # the paper's tables
        assert "\\toprule" in (root / name).read_text()
    # W&B: every cell's run and the summary run in the ablation's group, each named
    from wandb_records import read_run

    runs = [read_run(p) for p in root.glob("runs/*/wandb/offline-run-*")]
    (summary_run,) = [read_run(p) for p in (root / "wandb").glob("offline-run-*")]
    assert {r["run"]["group"] for r in [*runs, summary_run]} == {"tiny"} and len(runs) == 4
    assert "tiny-augment-light_seed-1" in {r["run"]["name"] for r in runs}
    assert (
        summary_run["run"]["name"] == "tiny-summary" and summary_run["run"]["job_type"] == "ablation-summary"
    )
    logged = " ".join(key for row in summary_run["history"] for key in row)
    assert "ablation/cells" in logged and "ablation/paired" in logged
    capsys.readouterr()
    run_ablation(cfg)  # everything done: nothing is trained again
    assert capsys.readouterr().out.count("done before, reusing") == 4


def test_plot_draws_a_curve_over_a_numeric_last_factor_and_points_otherwise(tmp_path):
    from har.ablate.report import plot, summarise

    rows = [
        {
            "data.train_fraction": f,
            "synth.ratio": r,
            "seed": s,
            "test/macro_f1": 0.8 + r / 10 + s / 100,
            "test/accuracy": 0.8,
        }
        for f in (1.0, 0.25)
        for r in (0, 0.5, 1)
        for s in (0, 1)
    ]
    factors = ["data.train_fraction", "synth.ratio"]
    summary = summarise(rows, factors)
    assert len(summary) == 6 and summary[1]["test/macro_f1 mean"] == pytest.approx(0.855)
    curve = plot(summary, factors, tmp_path / "curve.png", "vae_ratio")
    points = plot(
        summarise([{**r, "augment": "light"} for r in rows], ["augment"]),
        ["augment"],
        tmp_path / "points.png",
        "augment",
    )
    assert curve.stat().st_size > 5_000 and points.stat().st_size > 5_000


def test_one_seed_shows_the_mean_without_a_spread():
    from har.ablate.report import cell_table, summarise
    from har.validation import markdown_table

    rows = [
        {"augment": a, "seed": 0, "val/macro_f1": v, "test/macro_f1": v, "test/accuracy": v}
        for a, v in (("none", 0.8), ("light", 0.9))
    ]
    text = "\n".join(markdown_table(*cell_table(summarise(rows, ["augment"]), ["augment"])))
    assert "nan" not in text and "| none | 1 | 0.800 | 0.800 | 0.800 |" in text
    two = rows + [{**r, "seed": 1} for r in rows]
    assert "0.900 ± 0.000 [0.900, 0.900]" in "\n".join(
        markdown_table(*cell_table(summarise(two, ["augment"]), ["augment"]))
    )
