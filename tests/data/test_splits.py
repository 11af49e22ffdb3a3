"""Splits are by subject: no subject is ever in two splits, for every source."""

from __future__ import annotations

import numpy as np
import pytest

from har.data.dataset import load_windows
from har.data.recording import DataError
from har.data.splits import missing_classes, split_subjects, subject_folds


@pytest.mark.parametrize("source", ["watch", "hapt", "strikes_sim"])
def test_no_subject_in_two_splits(compose_train, source):
    data = load_windows(compose_train(f"data={source}").data)
    seen = [set(data.split(s).groups.tolist()) for s in ("train", "val", "test")]
    assert seen[0].isdisjoint(seen[1]) and seen[0].isdisjoint(seen[2]) and seen[1].isdisjoint(seen[2])
    for name, groups in zip(("train", "val", "test"), seen):
        assert groups == set(data.subjects[name])


def test_hapt_uses_the_official_uci_har_test_subjects(compose_train):
    data = load_windows(compose_train("data=hapt").data)
    assert data.subjects["test"] == ["2", "4", "9", "10", "12", "13", "18", "20", "24"]
    assert data.class_names == [
        "WALKING",
        "WALKING_UPSTAIRS",
        "WALKING_DOWNSTAIRS",
        "SITTING",
        "STANDING",
        "LAYING",
    ]
    assert data.window == 128 and data.hop == 64


def test_seeded_group_split_is_repeatable_and_disjoint():
    subjects = [str(i) for i in range(1, 21)]
    first = split_subjects(subjects, seed=3)
    assert first == split_subjects(subjects, seed=3)
    assert first != split_subjects(subjects, seed=4)
    assert len(first["test"]) == 4 and len(first["val"]) == 2
    assert sorted(sum(first.values(), []), key=int) == subjects


def test_a_subject_in_two_declared_splits_is_an_error():
    with pytest.raises(DataError, match="subject.* 3 in both test_subjects and val_subjects"):
        split_subjects(["1", "2", "3"], test_subjects=[3], val_subjects=[3])


def test_an_unknown_declared_subject_is_an_error():
    with pytest.raises(DataError, match=r"test_subjects: subject\(s\) 99 not in the data"):
        split_subjects(["1", "2", "3"], test_subjects=[99], val_subjects=[1])


def test_a_class_absent_from_train_is_an_error(compose_train):
    # one train subject with a 4 s session: too short to throw every kind of strike
    cfg = compose_train(
        "data=strikes_sim",
        "data.source.n_subjects=3",
        "data.source.session_s=4",
        "data.source.sessions_per_subject=1",
        "data.split.test_subjects=[3]",
        "data.split.val_subjects=[2]",
    )
    with pytest.raises(DataError, match="have no windows in train"):
        load_windows(cfg.data)


def test_groups_are_subjects_not_recordings(compose_train):
    data = load_windows(compose_train().data)
    assert set(np.unique(data.train.groups)) == {"1", "2", "3", "4", "5", "6", "7"}


def _classes_of(layout: dict[str, list[int]]) -> dict[str, dict[int, int]]:
    return {subject: {label: 10 for label in labels} for subject, labels in layout.items()}


def test_seeded_split_covers_every_class_when_the_subjects_allow():
    # classes 2 and 3 each live with two subjects only: a blind shuffle often loses one
    layout = {str(i): [0, 1] for i in range(1, 9)} | {"9": [0, 2], "10": [2, 3], "11": [1, 3]}
    classes = _classes_of(layout)
    for seed in range(20):
        split = split_subjects(list(layout), test_fraction=0.2, val_fraction=0.1, seed=seed, classes=classes)
        for name in ("train", "test"):
            assert not missing_classes(split[name], classes), (seed, name, split)
        assert sorted(sum(split.values(), []), key=int) == sorted(layout, key=int)


def test_class_aware_split_keeps_the_blind_split_when_it_already_covers_every_class():
    subjects = [str(i) for i in range(1, 21)]
    classes = _classes_of({s: [0, 1, 2] for s in subjects})
    assert split_subjects(subjects, seed=3, classes=classes) == split_subjects(subjects, seed=3)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_folds_hold_every_subject_once_and_keep_declared_subjects_together(k):
    subjects = [str(i) for i in range(1, 12)]
    folds = subject_folds(subjects, k, seed=1, together=["4", "9"])
    assert len(folds) == k and {"4", "9"} <= set(folds[0])
    flat = sum(folds, [])
    assert sorted(flat, key=int) == subjects and len(flat) == len(set(flat))
    assert max(map(len, folds)) - min(map(len, folds)) <= 1
    assert folds == subject_folds(subjects, k, seed=1, together=["4", "9"])
    assert folds != subject_folds(subjects, k, seed=2, together=["4", "9"])


def test_folds_give_every_fold_and_its_training_subjects_every_class():
    # two subjects per rare class: only folds that separate each pair cover all classes
    layout = {"1": [0, 1], "2": [0, 1], "3": [0, 2], "4": [0, 2], "5": [1, 3], "6": [0, 3]}
    classes = _classes_of(layout)
    for seed in range(10):
        folds = subject_folds(list(layout), 2, seed=seed, classes=classes)
        for index, fold in enumerate(folds):
            training = [s for other in folds if other is not fold for s in other]
            assert not missing_classes(fold, classes), (seed, folds)
            assert not missing_classes(training, classes), (seed, index, folds)


def test_too_many_folds_is_an_error_naming_the_key():
    with pytest.raises(DataError, match=r"validation.k=4: expected 2 <= k <= 3"):
        subject_folds(["1", "2", "3"], 4)


def test_the_seeded_split_aims_at_shares_of_windows_not_of_subjects():
    # one subject holds half the windows (35 of 71 sessions, as in the boxing export)
    classes = {"big": {0: 1000, 1: 1000}} | {f"p{i}": {0: 100, 1: 100} for i in range(10)}
    total = sum(sum(c.values()) for c in classes.values())
    for seed in range(8):
        split = split_subjects(list(classes), test_fraction=0.2, val_fraction=0.1, seed=seed, classes=classes)
        share = {name: sum(sum(classes[s].values()) for s in split[name]) / total for name in split}
        assert abs(share["test"] - 0.2) <= 0.05 and abs(share["val"] - 0.1) <= 0.05, (seed, split)
        assert "big" in split["train"], (seed, split)
    # a split of subjects would have put "big" in test for some seed: 20% of 11 subjects is 2
    blind = [split_subjects(list(classes), seed=seed)["test"] for seed in range(8)]
    assert any("big" in test for test in blind)


def test_a_test_subject_holding_most_of_the_windows_gets_one_warning_line():
    from har.data.dataset import _share_notes

    classes = {"big": {0: 700, 1: 600}} | {f"p{i}": {0: 50, 1: 50} for i in range(10)}
    subjects = {"train": [f"p{i}" for i in range(1, 10)], "val": ["p0"], "test": ["big"]}
    (line,) = _share_notes(subjects, classes)
    assert line.startswith("warning: subject big holds 57% of the windows and is in test: train keeps 39%")
    subjects = {"train": ["big", *[f"p{i}" for i in range(2, 10)]], "val": ["p0"], "test": ["p1"]}
    assert _share_notes(subjects, classes) == []
