"""The sweep summary's statistics on a real in-memory Optuna study (no training): no ranking from
too few trials, baseline figures labelled, the forest compared on the selection measure."""

from __future__ import annotations

import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from har.logging import NullLogger
from har.sweep.summary import summarise


def _study(complete: int, *, forest_val: float = 0.83) -> optuna.Study:
    study = optuna.create_study(study_name="stats", direction="maximize")
    study.set_metric_names(["val/macro_f1"])
    for number in range(complete):
        value = 0.5 + 0.03 * number
        study.add_trial(
            create_trial(
                state=TrialState.COMPLETE,
                value=value,
                params={"optimizer.learning_rate": 1e-4 * (number + 1)},
                distributions={"optimizer.learning_rate": FloatDistribution(1e-5, 1e-1, log=True)},
                intermediate_values={1: value, 2: value, 3: value},
                user_attrs={
                    "validation": "subject_kfold",
                    "cv/val/macro_f1_std": 0.02,
                    "folds/test/macro_f1": value - 0.05 + 0.01 * (number % 2),
                    "test/macro_f1": value - 0.04,
                    "baseline/val/macro_f1": forest_val,
                    "baseline/test/macro_f1": 0.7790,
                    "folds/baseline/test/macro_f1": 0.7695,
                    "overrides": [f"optimizer.learning_rate={1e-4 * (number + 1)}"],
                },
            )
        )
    study.add_trial(create_trial(state=TrialState.PRUNED, value=0.3, intermediate_values={1: 0.3}))
    return study


def test_three_trials_show_no_ranking_and_say_why(tmp_path):
    result = summarise(_study(3, forest_val=0.5605), tmp_path, NullLogger())
    text = (tmp_path / "summary.md").read_text()
    assert result["importances"] == {} and result["selection"] is None
    assert "Spearman" not in text and "3 complete trials: no rank correlation shown, as below 10" in text
    assert "3 complete trials: no importances shown, as below 10 complete trials" in text
    assert not (tmp_path / "importances.png").exists()
    # the forest on the selection measure: the best trial (0.56) ties it within one standard error
    assert (
        "| val macro-F1, mean over 3 subject folds (the selection measure) | 0.5600 | 0.5605 | ties" in text
    )
    assert "On the selection measure the best trial (trial 2) ties the forest (0.5600 vs 0.5605)" in text
    # each forest test figure says which model it is
    assert (
        "| test macro-F1, final model (refit on every non-test subject, or the holdout run) | 0.5200 | 0.7790 | loses to (-0.2590)"
        in text
    )
    assert "| test macro-F1, mean of the fold models | 0.5100 | 0.7695 | loses to (-0.2595)" in text
    latex = (tmp_path / "summary.tex").read_text()
    assert latex.count("\\toprule") == 2 and "val macro-F1, mean over 3 subject folds" in latex


def test_ten_complete_trials_give_spearman_and_importances(tmp_path):
    result = summarise(_study(10, forest_val=0.60), tmp_path, NullLogger())
    text = (tmp_path / "summary.md").read_text()
    assert result["selection"]["trials"] == 10 and "Spearman's rank correlation" in text
    assert set(result["importances"]) == {"optimizer.learning_rate"}
    assert "| optimizer.learning_rate | 1.000 |" in text
    assert "On the selection measure the best trial (trial 9) beats the forest (0.7700 vs 0.6000)" in text
    assert (tmp_path / "summary.tex").read_text().count("\\toprule") == 3


def test_one_trial_gives_no_nan(tmp_path):
    summarise(_study(1), tmp_path, NullLogger())
    text = (tmp_path / "summary.md").read_text()
    assert "nan" not in text and "1 complete trial: no rank correlation shown" in text
