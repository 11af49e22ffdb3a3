"""Subject-wise splits and folds: declared lists, or seeded, class-aware groupings.

Every grouping of subjects in har comes from here: the train/val/test split of every source
(`split_subjects`) and the cross-validation folds (`subject_folds`). Both are deterministic
for a seed. Given how many windows of each class every subject has, they prefer, among
seeded candidate groupings, one where every split (every fold, and what trains it) holds
every class, then one whose sizes are closest to the stated shares **of windows** (a subject
holding half the data counts for half, not for one subject in ten); without that information
they are plain seeded shuffles of subjects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from har.data.recording import DataError

SPLITS = ("train", "val", "test")

# Seeded candidate groupings scored per call; the first is the plain shuffle of the seed, so
# a grouping that already covers every class is the one a class-blind split would make.
CANDIDATES = 256

# subject -> {class index: windows of that class}
SubjectClasses = Mapping[str, Mapping[int, int]]


def _ids(values: Iterable[object] | None) -> list[str]:
    return [str(v) for v in (values or [])]


def natural_sort(subjects: Iterable[object]) -> list[str]:
    """Subject ids as strings, numbers in numeric order first (`2` before `10`), then names."""
    return sorted({str(s) for s in subjects}, key=_natural)


def subject_classes(groups: np.ndarray, y: np.ndarray) -> dict[str, dict[int, int]]:
    """Windows per class for every subject, from a window batch's `groups` and `y`."""
    counts: dict[str, dict[int, int]] = {}
    for subject, label in zip(groups.tolist(), y.tolist()):
        per_class = counts.setdefault(str(subject), {})
        per_class[int(label)] = per_class.get(int(label), 0) + 1
    return counts


def missing_classes(subjects: Sequence[str], classes: SubjectClasses) -> set[int]:
    """Classes that some subject has but none of `subjects` has."""
    everything = {c for per_class in classes.values() for c, n in per_class.items() if n}
    return everything - {c for s in subjects for c, n in classes.get(s, {}).items() if n}


def split_subjects(
    subjects: Sequence[object],
    *,
    test_subjects: Sequence[object] | None = None,
    val_subjects: Sequence[object] | None = None,
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    seed: int = 0,
    classes: SubjectClasses | None = None,
    train_subjects: Sequence[object] | None = None,
) -> dict[str, list[str]]:
    """Assign every subject to exactly one split.

    Declared lists win (`train_subjects`: subjects that must train, e.g. declared in a csv
    `split` column). Undeclared splits are drawn with `seed` from the subjects not declared (at
    least one each); the rest train. Without `classes` they take the given fractions of the
    subjects. With `classes` (windows per class per subject) they aim at the fractions of the
    windows, as far as whole subjects allow, and prefer test, val and train splits that each
    hold every class.

    Raises:
        DataError: a declared subject is unknown, listed twice or in two splits, or no
            subject is left for train.
    """
    everyone = natural_sort(subjects)
    test, val, train = _ids(test_subjects), _ids(val_subjects), _ids(train_subjects)
    _check_declared(everyone, {"test_subjects": test, "val_subjects": val, "train_subjects": train})
    rest = [s for s in everyone if s not in test and s not in val and s not in train]
    n_test = 0 if test else max(1, int(round(test_fraction * len(everyone))))
    n_val = 0 if val else max(1, int(round(val_fraction * len(everyone))))
    if classes is not None:  # sizes follow the windows; only the one subject each is fixed
        n_test, n_val = min(n_test, 1), min(n_val, 1)
    if n_test + n_val >= len(rest) + (1 if train else 0):
        raise DataError(
            f"data.split: no subject left for train ({len(everyone)} subjects; test "
            f"{len(test) or n_test}, val {len(val) or n_val})"
        )
    declared = {"train": train, "val": val, "test": test}
    if classes is None:
        assign, score = _by_subjects(declared, n_test, n_val), lambda split: ()
    else:
        assign, score = _by_windows(declared, {"test": test_fraction, "val": val_fraction}, everyone, classes)
    best = _best_candidate(rest, seed, assign, score)
    return {name: natural_sort(best[name]) for name in SPLITS}


def _by_subjects(declared: dict[str, list[str]], n_test: int, n_val: int):
    """Draw `n_test` and `n_val` subjects from a seeded order (no window counts known)."""

    def assign(order: list[str]) -> dict[str, list[str]]:
        drawn_test, drawn_val = order[:n_test], order[n_test : n_test + n_val]
        return {
            "train": declared["train"] + order[n_test + n_val :],
            "val": declared["val"] or drawn_val,
            "test": declared["test"] or drawn_test,
        }

    return assign


def _by_windows(
    declared: dict[str, list[str]], fractions: dict[str, float], everyone, classes: SubjectClasses
):
    """Fill test, then val, from a seeded order, each while a subject brings its share of the
    windows closer to its fraction; score: classes missing (train first), then the distance
    from the fractions (to 0.01, so that near-equal draws tie and the seed decides)."""
    windows = {s: sum(classes.get(s, {}).values()) for s in everyone}
    total = max(1, sum(windows.values()))
    targets = {name: fraction * total for name, fraction in fractions.items()}
    open_splits = [name for name in ("test", "val") if not declared[name]]

    def assign(order: list[str]) -> dict[str, list[str]]:
        drawn: dict[str, list[str]] = {"train": list(declared["train"]), "val": [], "test": []}
        have = {"test": 0, "val": 0}
        for subject in order:
            for name in open_splits:
                closer = abs(have[name] + windows[subject] - targets[name]) < abs(have[name] - targets[name])
                if not drawn[name] or closer:
                    drawn[name].append(subject)
                    have[name] += windows[subject]
                    break
            else:
                drawn["train"].append(subject)
        return {
            "train": drawn["train"],
            "val": declared["val"] or drawn["val"],
            "test": declared["test"] or drawn["test"],
        }

    def score(split: dict[str, list[str]]) -> tuple:
        coverage = tuple(len(missing_classes(split[name], classes)) for name in ("train", "test", "val"))
        off = sum(abs(sum(windows[s] for s in split[name]) - targets[name]) / total for name in open_splits)
        return (not split["train"], *coverage, round(off, 2))

    return assign, score


def subject_folds(
    subjects: Sequence[object],
    k: int,
    *,
    seed: int = 0,
    together: Sequence[object] = (),
    classes: SubjectClasses | None = None,
) -> list[list[str]]:
    """Group `subjects` into `k` folds of near-equal size, each subject in exactly one.

    Args:
        subjects: the subjects to fold (never the test subjects).
        k: the number of folds, 2 <= k <= len(subjects).
        seed: which of the equally good groupings is chosen.
        together: subjects that must share a fold (e.g. the configured validation subjects,
            so that a holdout score is the score of one fold); that fold comes first.
        classes: windows per class per subject; with it, folds are chosen so that each fold,
            and the subjects that train it, hold every class where the subjects allow, then
            so that folds have similar window counts.

    Returns:
        k lists of subject ids, each in natural order.
    """
    everyone = natural_sort(subjects)
    together = _ids(together)
    if not 2 <= k <= len(everyone):
        raise DataError(f"validation.k={k}: expected 2 <= k <= {len(everyone)} (the non-test subjects)")
    _check_declared(everyone, {"validation.together": together})
    rest = [s for s in everyone if s not in together]
    sizes = _fold_sizes(len(everyone), k, len(together))

    def assign(order: list[str]) -> list[list[str]]:
        folds, start = [], 0
        for index, size in enumerate(sizes):
            taken = size - (len(together) if index == 0 else 0)
            folds.append((together if index == 0 else []) + order[start : start + taken])
            start += taken
        return folds

    def score(folds: list[list[str]]) -> tuple:
        if classes is None:
            return ()
        val_missing = sum(len(missing_classes(fold, classes)) for fold in folds)
        train_missing = sum(
            len(missing_classes([s for other in folds if other is not fold for s in other], classes))
            for fold in folds
        )
        windows = [sum(sum(classes.get(s, {}).values()) for s in fold) for fold in folds]
        imbalance = round((max(windows) - min(windows)) / max(1, sum(windows)), 2)
        return (train_missing, val_missing, imbalance)

    folds = _best_candidate(rest, seed, assign, score)
    return [natural_sort(fold) for fold in folds]


def _fold_sizes(n: int, k: int, together: int) -> list[int]:
    """Fold sizes as equal as the count allows; the first fold holds at least `together`."""
    if together <= -(-n // k):
        return [n // k + (1 if i < n % k else 0) for i in range(k)]
    others = n - together
    if others < k - 1:
        raise DataError(
            f"validation.k={k}: {together} subjects must share a fold, leaving {others} for the other {k - 1}"
        )
    return [together] + [others // (k - 1) + (1 if i < others % (k - 1) else 0) for i in range(k - 1)]


def _best_candidate(rest: list[str], seed: int, assign, score):
    """The lowest-scoring assignment of seeded orders of `rest` (first wins ties)."""
    rng = np.random.default_rng(seed)
    best, best_score = None, None
    for attempt in range(CANDIDATES if rest else 1):
        order = [rest[i] for i in rng.permutation(len(rest))]
        candidate = assign(order)
        value = score(candidate)
        if best_score is None or value < best_score:
            best, best_score = candidate, value
        if attempt == 0 and not any(value):  # nothing to improve on (or nothing to score)
            break
    return best


def _check_declared(everyone: list[str], declared: dict[str, list[str]]) -> None:
    for key, listed in declared.items():
        prefix = key if "." in key else f"data.split.{key}"
        unknown = natural_sort(set(listed) - set(everyone))
        if unknown:
            raise DataError(
                f"{prefix}: subject(s) {', '.join(unknown)} not in the data (subjects: {', '.join(everyone)})"
            )
        if len(set(listed)) != len(listed):
            raise DataError(f"{prefix}: a subject is listed twice: {listed}")
    if "test_subjects" in declared:
        for first, second in (("test", "val"), ("test", "train"), ("val", "train")):
            both = natural_sort(
                set(declared[f"{first}_subjects"]) & set(declared.get(f"{second}_subjects", []))
            )
            if both:
                raise DataError(
                    f"data.split: subject(s) {', '.join(both)} in both {first}_subjects and {second}_subjects"
                )


def _natural(subject: str) -> tuple[int, str]:
    return (int(subject), "") if subject.isdigit() else (1 << 62, subject)
