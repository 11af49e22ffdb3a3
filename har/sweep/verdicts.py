"""The sweep summary's plain-words judgements: can the ranking be trusted yet, and does the
best trial beat the forest baseline on the measure it was chosen by (and on test).

Each figure says what it is: validation or test, the final model (refit or holdout run) or the
mean of the fold models; the forest is compared like with like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial

from har.metrics import TEST_MACRO_F1, VAL_MACRO_F1, baseline_of, cv_std_of, fold_models_of
from har.training import RunFolder
from har.validation import MIN_TRIALS_FOR_RANKING

REASONS = {
    "rank correlation": "3 trials rank perfectly one time in six by chance, and then the bootstrap "
    "interval is [1.00, 1.00]",
    "importances": "a forest fitted to so few trials ranks the parameters by noise",
}


def ranking_lines(correlation: dict[str, Any] | None, complete: int, what: str) -> list[str]:
    """The rank correlation of selection with test, or one line saying why `what` is not shown."""
    if correlation is None:
        return [
            f"{complete} complete trial{'s' if complete != 1 else ''}: no {what} shown, as below "
            f"{MIN_TRIALS_FOR_RANKING} complete trials it says nothing ({REASONS[what]})."
        ]
    return [
        f"Spearman's rank correlation of the selection score with {correlation['test']} over "
        f"{correlation['trials']} complete trials: **{correlation['spearman']:.2f}** "
        f"(95% bootstrap interval {correlation['low']:.2f} to {correlation['high']:.2f})."
    ]


@dataclass(frozen=True)
class BaselineComparison:
    table: tuple[list[str], list[list[str]]]
    sentence: str


def baseline_table(study: optuna.Study, trial: FrozenTrial) -> BaselineComparison | None:
    """The best trial against the forest: on the selection measure (CV val macro-F1) and on test.

    On validation a difference within one standard error of the trial's mean over folds
    (std over folds / sqrt(k)) is a tie: the folds cannot tell the two apart. Test figures
    come from one test split and are read, never used to choose.
    """
    attrs = trial.user_attrs
    rows: list[list[str]] = []
    sentence = ""
    selection = _selection_value(study, trial)
    forest_val = attrs.get(baseline_of(VAL_MACRO_F1))
    if selection is not None and forest_val is not None:
        label, tolerance = _selection_label(trial)
        verdict = _verdict(selection - forest_val, tolerance)
        rows.append([label, f"{selection:.4f}", f"{forest_val:.4f}", verdict])
        sentence = (
            f"On the selection measure the best trial (trial {trial.number}) {verdict.split(' (')[0]} "
            f"the forest ({selection:.4f} vs {forest_val:.4f})."
        )
    for label, model, forest in (
        (
            "test macro-F1, final model (refit on every non-test subject, or the holdout run)",
            test_figure(trial, TEST_MACRO_F1),
            test_figure(trial, baseline_of(TEST_MACRO_F1)),
        ),
        (
            "test macro-F1, mean of the fold models",
            attrs.get(fold_models_of(TEST_MACRO_F1)),
            attrs.get(fold_models_of(baseline_of(TEST_MACRO_F1))),
        ),
    ):
        if model is not None and forest is not None:
            rows.append([label, f"{model:.4f}", f"{forest:.4f}", _verdict(model - forest, None)])
    if not rows:
        return None
    if not sentence:
        sentence = "No selection-measure figure for the forest (baseline=none, or the objective is not val/macro_f1)."
    sentence += " Test rows are for reading; the test split chooses nothing."
    return BaselineComparison((["measure", f"trial {trial.number}", "forest", "verdict"], rows), sentence)


def _selection_value(study: optuna.Study, trial: FrozenTrial) -> float | None:
    names = study.metric_names or []
    if VAL_MACRO_F1 not in names or trial.values is None:
        return None
    return float(trial.values[names.index(VAL_MACRO_F1)])


def _selection_label(trial: FrozenTrial) -> tuple[str, float | None]:
    """What the selection measure is for this trial, and its standard error (None under holdout)."""
    std = trial.user_attrs.get(cv_std_of(VAL_MACRO_F1))
    if trial.user_attrs.get("validation") == "subject_kfold" and std is not None:
        k = max(1, len(trial.intermediate_values))  # one value reported per fold
        return f"val macro-F1, mean over {k} subject folds (the selection measure)", std / k**0.5
    return "val macro-F1 on the holdout split (the selection measure)", None


def _verdict(difference: float, tolerance: float | None) -> str:
    if tolerance is not None and abs(difference) <= tolerance:
        return f"ties ({difference:+.4f}, within one standard error over folds, {tolerance:.4f})"
    word = "beats" if difference > 0 else "loses to" if difference < 0 else "ties"
    return f"{word} ({difference:+.4f})"


def test_figure(trial: FrozenTrial, key: str) -> float | None:
    """A trial's figure; for a trial refit after the sweep, read from its run folder."""
    if key in trial.user_attrs:
        return trial.user_attrs[key]
    folder = RunFolder(trial.user_attrs.get("run_dir", ""))
    if trial.state == optuna.trial.TrialState.COMPLETE and folder.metrics.is_file():
        return folder.read_metrics().get(key)
    return None
