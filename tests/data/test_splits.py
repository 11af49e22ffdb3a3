"""Splits are by subject: no subject is ever in two splits, for every source."""

from __future__ import annotations

import numpy as np
import pytest

from har.data.dataset import load_windows
from har.data.recording import DataError
from har.data.splits import split_subjects


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
