"""How a configuration is judged: holdout, or subject-wise k-fold cross-validation and a refit.

`plan` turns `cfg.validation` and the loaded windows into the folds to train (none for
holdout); `combine` turns the folds' metrics into the run's `val/*` (fold means) and `cv/*`
figures; `refit_subjects` and `refit_epochs` say what the refit trains on and for how long.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from omegaconf import DictConfig

from har.config import ConfigError
from har.data import WindowedData, natural_sort, subject_classes, subject_folds
from har.metrics import TEST_ACCURACY, TEST_MACRO_F1, VAL_ACCURACY, VAL_MACRO_F1, baseline_of, fold_models_of

METHODS = ("holdout", "subject_kfold")
REFIT_RULES = ("median", "mean", "max")
# A class that only one non-test subject has: every fold validating on that subject would train
# without it. `error` refuses the plan (exit 2, before any training); `train` keeps such subjects
# in train for every fold (they are never validated on).
SINGLE_SUBJECT_CLASSES = ("error", "train")


@dataclass(frozen=True)
class Fold:
    """One fold: its number (from 1) and the subjects of its train, val and test splits."""

    number: int
    subjects: dict[str, list[str]]

    @property
    def name(self) -> str:
        return f"fold-{self.number}"


def check(validation: DictConfig) -> None:
    """Refuse an unknown method or refit rule, naming the key."""
    if validation.name not in METHODS:
        raise ConfigError(f"validation={validation.name!r}: expected one of {', '.join(METHODS)}")
    if validation.name == "subject_kfold":
        if not isinstance(validation.k, int) or isinstance(validation.k, bool) or validation.k < 2:
            raise ConfigError(f"validation.k={validation.k!r}: expected an integer >= 2")
        if validation.refit_epochs not in REFIT_RULES:
            raise ConfigError(
                f"validation.refit_epochs={validation.refit_epochs!r}: expected one of {', '.join(REFIT_RULES)}"
            )
        single = validation.get("single_subject_classes", "error")
        if single not in SINGLE_SUBJECT_CLASSES:
            raise ConfigError(
                f"validation.single_subject_classes={single!r}: expected one of {', '.join(SINGLE_SUBJECT_CLASSES)}"
            )


def plan(validation: DictConfig, data: WindowedData) -> list[Fold]:
    """The folds to train: none for holdout; k folds over every non-test subject otherwise.

    Test subjects never enter a fold. With `together`, the configured val subjects share the
    first fold, so that fold's score is the holdout score. Checked before any training (every
    caller, `har-train` and a sweep's or ablation's first trial, gets the check): every fold
    trains on every class the non-test subjects hold.

    Raises:
        ConfigError: a fold would train without a class (the class and the subjects that have
            it are named; `validation.single_subject_classes=train` is the documented way out).
    """
    check(validation)
    if validation.name == "holdout":
        return []
    pool = data.subjects["train"] + data.subjects["val"]
    everything = data.pool
    classes = subject_classes(everything.groups, everything.y) if everything is not None else None
    kept: list[str] = []  # subjects every fold trains on
    if classes is not None and validation.get("single_subject_classes", "error") == "train":
        holders = _holders(pool, classes)
        kept = natural_sort({s for subjects in holders.values() if len(subjects) == 1 for s in subjects})
    folded = [s for s in pool if s not in kept]
    together = [s for s in data.subjects["val"] if s not in kept] if validation.together else ()
    folds = subject_folds(
        folded, int(validation.k), seed=int(validation.seed), together=together, classes=classes
    )
    planned = [
        Fold(
            number, {"train": [s for s in pool if s not in fold], "val": fold, "test": data.subjects["test"]}
        )
        for number, fold in enumerate(folds, start=1)
    ]
    if classes is not None:
        _check_train_classes(planned, pool, classes, data.class_names)
    return planned


def _holders(subjects: list[str], classes: dict[str, dict[int, int]]) -> dict[int, list[str]]:
    """Class index -> the subjects (of `subjects`) that have windows of it."""
    holders: dict[int, list[str]] = {}
    for subject in subjects:
        for label, count in classes.get(subject, {}).items():
            if count:
                holders.setdefault(label, []).append(subject)
    return holders


def _check_train_classes(
    folds: list[Fold], pool: list[str], classes: dict[str, dict[int, int]], class_names: list[str]
) -> None:
    """Refuse a plan in which a fold trains without a class that the non-test subjects hold."""
    holders = _holders(pool, classes)
    for fold in folds:
        trained = {label for s in fold.subjects["train"] for label, n in classes.get(s, {}).items() if n}
        missing = sorted(set(holders) - trained)
        if missing:
            listing = "; ".join(
                f"{class_names[label]} (only subject(s) {', '.join(holders[label])})" for label in missing
            )
            raise ConfigError(
                f"validation=subject_kfold: fold {fold.number} (validating on {', '.join(fold.subjects['val'])}) "
                f"would train without class(es) {listing}; checked before any training. Fix: "
                "validation.single_subject_classes=train keeps such subjects in train for every fold, "
                "or record the class with more subjects, or validation=holdout"
            )


def refit_subjects(data: WindowedData) -> dict[str, list[str]]:
    """Every non-test subject trains the refit; it has no validation subjects."""
    return {"train": data.subjects["train"] + data.subjects["val"], "val": [], "test": data.subjects["test"]}


def refit_epochs(best_epochs: list[int], rule: str) -> int:
    """The refit's epoch count from the folds' best epochs (`median` rounds half up)."""
    values = np.asarray(best_epochs, dtype=float)
    chosen = {"median": np.median, "mean": np.mean, "max": np.max}[rule](values)
    return max(1, int(np.floor(chosen + 0.5)))


def combine(fold_metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's cross-validation figures from its folds' metrics.

    `val/<metric>` is the mean over folds (the selection score), with `cv/val/<metric>_std`;
    `folds/test/<metric>` the mean of the fold models' test scores when they were taken (for
    reading, never for choosing), `folds/baseline/test/<metric>` the fold baselines'; `cv/folds`
    keeps every fold's own figures.
    """
    combined: dict[str, Any] = {"cv/k": len(fold_metrics)}
    for split in ("val", "test"):
        for metric in ("accuracy", "macro_f1"):
            values = [m[f"{split}/{metric}"] for m in fold_metrics if f"{split}/{metric}" in m]
            if len(values) != len(fold_metrics):
                continue
            key = f"val/{metric}" if split == "val" else f"folds/test/{metric}"
            combined[key] = float(np.mean(values))
            combined[f"cv/{split}/{metric}_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    for key, name in (
        (baseline_of(VAL_MACRO_F1), baseline_of(VAL_MACRO_F1)),
        (baseline_of(TEST_MACRO_F1), fold_models_of(baseline_of(TEST_MACRO_F1))),
        (baseline_of(TEST_ACCURACY), fold_models_of(baseline_of(TEST_ACCURACY))),
    ):
        values = [m[key] for m in fold_metrics if key in m]
        if values and len(values) == len(fold_metrics):
            combined[name] = float(np.mean(values))
    if all("model/params" in m for m in fold_metrics):  # one config: every fold builds the same model
        combined["model/params"] = fold_metrics[0]["model/params"]
    keep = (VAL_ACCURACY, VAL_MACRO_F1, TEST_ACCURACY, TEST_MACRO_F1, "best_epoch", "epochs_trained")
    combined["cv/folds"] = [
        {"fold": number, "subjects": m["subjects"]["val"], **{k: m[k] for k in keep if k in m}}
        for number, m in enumerate(fold_metrics, start=1)
    ]
    return combined
