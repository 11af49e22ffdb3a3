"""Subject-wise train/val/test splits: declared lists or a seeded group split."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from har.data.recording import DataError

SPLITS = ("train", "val", "test")


def _ids(values: Iterable[object] | None) -> list[str]:
    return [str(v) for v in (values or [])]


def split_subjects(
    subjects: Sequence[object],
    *,
    test_subjects: Sequence[object] | None = None,
    val_subjects: Sequence[object] | None = None,
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    seed: int = 0,
) -> dict[str, list[str]]:
    """Assign every subject to exactly one split.

    Declared lists win; subjects not declared are shuffled with `seed` and the given
    fractions of them go to test and val (at least one each), the rest to train.
    """
    everyone = sorted({str(s) for s in subjects}, key=_natural)
    test, val = _ids(test_subjects), _ids(val_subjects)
    for key, declared in (("test_subjects", test), ("val_subjects", val)):
        unknown = sorted(set(declared) - set(everyone), key=_natural)
        if unknown:
            raise DataError(
                f"data.split.{key}: subject(s) {', '.join(unknown)} not in the data "
                f"(subjects: {', '.join(everyone)})"
            )
        if len(set(declared)) != len(declared):
            raise DataError(f"data.split.{key}: a subject is listed twice: {declared}")
    both = sorted(set(test) & set(val), key=_natural)
    if both:
        raise DataError(f"data.split: subject(s) {', '.join(both)} in both test_subjects and val_subjects")
    rest = [s for s in everyone if s not in test and s not in val]
    order = np.random.default_rng(seed).permutation(len(rest))
    rest = [rest[i] for i in order]
    if not test:
        n = max(1, int(round(test_fraction * len(everyone))))
        test, rest = rest[:n], rest[n:]
    if not val:
        n = max(1, int(round(val_fraction * len(everyone))))
        val, rest = rest[:n], rest[n:]
    if not rest:
        raise DataError("data.split: no subject left for train")
    return {
        "train": sorted(rest, key=_natural),
        "val": sorted(val, key=_natural),
        "test": sorted(test, key=_natural),
    }


def _natural(subject: str) -> tuple[int, str]:
    return (int(subject), "") if subject.isdigit() else (1 << 62, subject)
