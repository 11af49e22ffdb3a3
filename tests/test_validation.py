"""Selection: subject folds, per-fold normalisers, the refit, the baseline beside every run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from har import validation
from har.data.dataset import Normaliser, load_windows
from har.training.baseline import sensor_triads, window_features
from har.validation.paired import compare
from har.validation.stats import corrected_paired_interval, paired_interval, spearman_interval, t_interval


@pytest.mark.parametrize("source", ["watch", "hapt"])
def test_folds_cover_the_non_test_subjects_once_and_never_test(compose_train, source):
    cfg = compose_train(f"data={source}", "validation=subject_kfold")
    data = load_windows(cfg.data)
    folds = validation.plan(cfg.validation, data)
    assert len(folds) == 3
    held_out = [s for fold in folds for s in fold.subjects["val"]]
    assert sorted(held_out) == sorted(data.subjects["train"] + data.subjects["val"])
    assert len(held_out) == len(set(held_out))
    for fold in folds:
        assert set(fold.subjects["val"]).isdisjoint(data.subjects["test"])
        assert set(fold.subjects["train"]).isdisjoint(fold.subjects["val"])
        assert set(fold.subjects["train"]).isdisjoint(data.subjects["test"])
        assert fold.subjects["test"] == data.subjects["test"]
    # the configured val subjects share the first fold: its score is the holdout score
    assert set(data.subjects["val"]) <= set(folds[0].subjects["val"])


def test_holdout_has_no_folds_and_a_bad_method_names_the_key(compose_train):
    cfg = compose_train()
    assert validation.plan(cfg.validation, load_windows(cfg.data)) == []
    cfg = compose_train("validation=subject_kfold", "validation.k=1")
    with pytest.raises(ValueError, match=r"validation.k=1: expected an integer >= 2"):
        validation.check(cfg.validation)


def test_refit_epochs_rules():
    assert validation.refit_epochs([3, 10, 8], "median") == 8
    assert validation.refit_epochs([3, 10], "median") == 7  # 6.5 rounds half up
    assert validation.refit_epochs([3, 10, 8], "mean") == 7
    assert validation.refit_epochs([3, 10, 8], "max") == 10


@pytest.fixture
def cv_run(cross_validated_run):
    return cross_validated_run


@pytest.mark.slow
def test_each_fold_normaliser_is_fit_on_its_own_training_subjects(cv_run):
    result, _, cfg = cv_run
    data = load_windows(cfg.data)
    for number in (1, 2, 3):
        stored = json.loads((result.run_dir / "folds" / f"fold-{number}" / "data.json").read_text())
        train_subjects = stored["splits"]["train"]["subjects"]
        assert set(train_subjects).isdisjoint(stored["splits"]["val"]["subjects"])
        windows = data.resplit(
            {name: stored["splits"][name]["subjects"] for name in ("train", "val", "test")}
        ).train
        assert set(np.unique(windows.groups)) == set(train_subjects)
        expected = Normaliser.fit(windows.X)
        np.testing.assert_allclose(stored["normaliser"]["mean"], expected.mean, rtol=1e-6)
        np.testing.assert_allclose(stored["normaliser"]["std"], expected.std, rtol=1e-6)
    # the refit's normaliser: every non-test subject
    refit = json.loads((result.run_dir / "data.json").read_text())
    assert sorted(refit["splits"]["train"]["subjects"], key=int) == [str(s) for s in range(1, 9)]
    assert refit["splits"]["val"]["windows"] == 0


@pytest.mark.slow
def test_the_refit_reads_test_exactly_once_and_is_what_the_run_reports(cv_run):
    result, calls, _ = cv_run
    refit_reads = [splits for owner, splits in calls if owner == result.run_dir.name and "test" in splits]
    assert refit_reads == [("test",)]  # the refit: test only, once (it has no val split)
    fold_reads = [owner for owner, splits in calls if owner.startswith("fold-")]
    assert sorted(fold_reads) == ["fold-1", "fold-2", "fold-3"]  # one evaluation per fold model
    metrics = result.metrics
    assert metrics["validation"] == "subject_kfold" and metrics["cv/k"] == 3
    folds = metrics["cv/folds"]
    assert metrics["val/macro_f1"] == pytest.approx(np.mean([f["val/macro_f1"] for f in folds]))
    assert metrics["folds/test/macro_f1"] == pytest.approx(np.mean([f["test/macro_f1"] for f in folds]))
    assert metrics["refit/epochs"] == validation.refit_epochs([f["best_epoch"] for f in folds], "median")
    assert metrics["epochs_trained"] == metrics["refit/epochs"]
    assert (
        json.loads((result.run_dir / "metrics.json").read_text())["test/macro_f1"] == metrics["test/macro_f1"]
    )
    assert (result.run_dir / "best.keras").is_file()


@pytest.mark.slow
def test_the_baseline_sees_exactly_the_model_windows(cv_run):
    result, _, _ = cv_run
    for folder in [result.run_dir / "folds" / f"fold-{n}" for n in (1, 2, 3)]:
        model = json.loads((folder / "data.json").read_text())["splits"]
        baseline = json.loads((folder / "metrics.json").read_text())["baseline/windows"]
        for split in ("train", "val", "test"):
            assert baseline[split] == {"count": model[split]["windows"], "sha256": model[split]["sha256"]}
    refit_model = json.loads((result.run_dir / "data.json").read_text())["splits"]
    refit_baseline = result.metrics["baseline/windows"]
    assert set(refit_baseline) == {"train", "test"}
    for split in ("train", "test"):
        assert refit_baseline[split]["sha256"] == refit_model[split]["sha256"]
    assert 0 < result.metrics["baseline/test/macro_f1"] <= 1


@pytest.mark.slow
def test_a_rerun_reuses_finished_folds_and_a_changed_config_does_not(cv_run, capsys):
    from har.training.run import train

    result, _, cfg = cv_run
    capsys.readouterr()
    again = train(cfg)
    assert capsys.readouterr().out.count("finished before, reusing") == 3
    assert again.metrics["val/macro_f1"] == result.metrics["val/macro_f1"]
    changed = cfg.copy()
    changed.optimizer.learning_rate = 0.004
    changed.validation.refit = False
    capsys.readouterr()
    train(changed)
    assert "finished before, reusing" not in capsys.readouterr().out


def test_window_features_cover_channels_and_sensor_magnitudes():
    channels = ["ax", "ay", "az", "gx", "gy", "gz"]
    assert sensor_triads(channels) == [[0, 1, 2], [3, 4, 5]]
    assert sensor_triads(["ax", "ay", "az"]) == [[0, 1, 2]]
    X = np.random.default_rng(0).normal(size=(4, 50, 6)).astype(np.float32)
    features = window_features(X, channels)
    assert features.shape == (4, (6 + 2) * 9)
    np.testing.assert_allclose(features[:, :6], X.mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(features[:, 6], np.linalg.norm(X[:, :, :3], axis=2).mean(axis=1), rtol=1e-5)


def test_spearman_interval_brackets_the_correlation():
    x = np.arange(20.0)
    rho, low, high = spearman_interval(x, x + np.random.default_rng(1).normal(0, 3, 20))
    assert 0.5 < rho < 1 and low <= rho <= high <= 1
    rho, low, high = spearman_interval(x, -x)
    assert rho == pytest.approx(-1) and high == pytest.approx(-1)
    assert np.isnan(spearman_interval([1, 2], [2, 1])[0])


def test_paired_comparison_pairs_by_seed_and_fold_and_others():
    rows = []
    for model in ("cnn", "dscnn"):
        for augment in ("none", "light"):
            for seed in (0, 1):
                lift = 0.05 if augment == "light" else 0.0
                folds = [
                    {"fold": f, "val": 0.7 + f / 10 + seed / 100 + lift, "test": 0.6 + lift}
                    for f in (1, 2, 3)
                ]
                rows.append({"model": model, "augment": augment, "seed": seed, "folds": folds})
    result = compare(rows, ["model", "augment"], {"model": "cnn", "augment": "none"}, test_train_ratio=0.5)
    light = [r for r in result if r["factor"] == "augment"]
    assert [r["others"] for r in light] == ["model=cnn", "model=dscnn"]
    for row in light:
        assert (
            row["pairs"] == 6
            and row["val_diff"] == pytest.approx(0.05)
            and row["test_diff"] == pytest.approx(0.05)
        )
        assert row["val_diff_low"] == pytest.approx(0.05) and row["val_diff_high"] == pytest.approx(0.05)
    assert paired_interval([0.1, 0.3]).low < 0.1


# The fold plans of the built-in datasets, recorded on commit 9629c21 (before the plan check and
# the window-share splits): they must not move, so that figures stay comparable across runs.
RECORDED_PLANS = {
    ("watch", 3): [["3", "5", "8"], ["4", "6", "7"], ["1", "2"]],
    ("watch", 5): [["6", "8"], ["4", "5"], ["3", "7"], ["1"], ["2"]],
    ("hapt", 3): [
        ["3", "5", "11", "15", "23", "25", "30"],
        ["1", "7", "14", "17", "22", "26", "28"],
        ["6", "8", "16", "19", "21", "27", "29"],
    ],
    ("hapt", 5): [
        ["5", "7", "8", "15", "25"],
        ["17", "22", "26", "30"],
        ["3", "16", "23", "28"],
        ["1", "6", "11", "27"],
        ["14", "19", "21", "29"],
    ],
}


@pytest.mark.parametrize("source", ["watch", "hapt"])
def test_the_built_in_fold_plans_stay_as_they_were(compose_train, source):
    data = None
    for k in (3, 5):
        cfg = compose_train(f"data={source}", "validation=subject_kfold", f"validation.k={k}")
        data = data or load_windows(cfg.data)
        folds = validation.plan(cfg.validation, data)
        assert [fold.subjects["val"] for fold in folds] == RECORDED_PLANS[(source, k)]


def _windowed(layout: dict[str, list[int]], class_names: list[str], test: list[str]):
    """Windows of `layout` (subject -> its classes, 5 windows each), `test` subjects held out."""
    from har.data.dataset import WindowedData
    from har.data.recording import WindowSet

    groups = [s for s, labels in layout.items() for label in labels for _ in range(5)]
    y = [label for labels in layout.values() for label in labels for _ in range(5)]
    pool = WindowSet(np.zeros((len(y), 4, 1), np.float32), np.array(y), np.array(groups))
    empty = pool.subset(np.zeros(len(y), bool))
    rest = [s for s in layout if s not in test]
    return WindowedData(
        empty,
        empty,
        empty,
        class_names,
        {"train": rest[1:], "val": rest[:1], "test": test},
        Normaliser(np.zeros(1, np.float32), np.ones(1, np.float32)),
        50.0,
        4,
        2,
        pool=pool,
    )


def test_a_fold_plan_without_a_class_in_train_is_refused_before_any_training(compose_train):
    from har.config import ConfigError

    layout = {str(i): [0, 1] for i in range(1, 8)} | {"8": [0, 1, 2], "9": [0, 1, 2]}
    data = _windowed(layout, ["jab", "cross", "right_hook"], test=["9"])
    cfg = compose_train("validation=subject_kfold")
    with pytest.raises(ConfigError) as caught:
        validation.plan(cfg.validation, data)
    message = str(caught.value)
    assert "\n" not in message and "right_hook (only subject(s) 8)" in message
    assert "validation.single_subject_classes=train" in message
    cfg = compose_train("validation=subject_kfold", "validation.single_subject_classes=train")
    folds = validation.plan(cfg.validation, data)
    assert len(folds) == 3 and all("8" in fold.subjects["train"] for fold in folds)
    assert sorted(s for fold in folds for s in fold.subjects["val"]) == [str(i) for i in range(1, 8)]
    with pytest.raises(
        ConfigError, match=r"validation.single_subject_classes='keep': expected one of error, train"
    ):
        validation.check(
            compose_train("validation=subject_kfold", "validation.single_subject_classes=keep").validation
        )


def test_the_corrected_interval_widens_when_the_same_folds_are_reused():
    # 3 folds x 3 seeds, the same partitions each seed: a fold's training subjects overlap (ratio 1/2)
    differences = [0.02, 0.05, 0.01, 0.03, 0.04, 0.02, 0.06, 0.00, 0.03]
    naive = paired_interval(differences)
    corrected = corrected_paired_interval(differences, test_train_ratio=0.5)
    assert corrected.mean == pytest.approx(naive.mean)
    assert naive.low > 0 and corrected.low < 0  # the naive interval sees a difference; it is not there
    # the variance grows by (1/J + ratio) / (1/J): the half-width by sqrt(1 + J * ratio)
    widening = (corrected.high - corrected.low) / (naive.high - naive.low)
    assert widening == pytest.approx((1 + 9 * 0.5) ** 0.5)
    assert "Nadeau" in corrected.method


def test_too_few_values_give_a_reason_not_nan_and_intervals_stay_in_range():
    one = corrected_paired_interval([0.04], test_train_ratio=0.5)
    assert one.low is None and one.high is None and "one pair" in one.note
    assert one.text(signed=True) == "+0.040 (one pair: no interval, too few pairs to say anything)"
    assert t_interval([0.9]).low is None
    high = t_interval([0.99, 0.97, 1.0])  # a mean score near the top: the bound stops at 1
    assert high.high == 1.0 and high.low < high.mean
    wide = corrected_paired_interval([0.9, -0.8, 0.95, -0.9], test_train_ratio=1.0)
    assert wide.low == -1.0 and wide.high == 1.0


def test_booktabs_escapes_what_latex_would_read_as_commands():
    from har.validation import booktabs

    text = booktabs(
        ["factor", "val macro-F1"], [["synth.ratio_x", "0.800 ± 0.010 [0.780, 0.820]"], ["a&b #1 50%", "–"]]
    )
    assert "\\toprule" in text and "\\midrule" in text and "\\bottomrule" in text
    assert "synth.ratio\\_x & 0.800 $\\pm$ 0.010 [0.780, 0.820] \\\\" in text
    assert "a\\&b \\#1 50\\% & -- \\\\" in text
    assert "\\begin{tabular}{lr}" not in text and "\\begin{tabular}{ll}" in text
