"""Training windows aligned on movements (`data.windows.kind=movements`)."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from har.data.dataset import load_windows
from har.data.movement_windows import windows_settings
from har.data.recording import DataError

WORKOUT = ["data=strikes_sim", "data.source.kind=workout", "data.source.n_subjects=5"]
SPLIT = ["data.split.test_subjects=[5]", "data.split.val_subjects=[4]"]


def test_movement_windows_come_from_a_detector_fitted_without_the_test_subjects(compose_train):
    data = load_windows(
        compose_train(*WORKOUT, *SPLIT, "data.windows.kind=movements", "data.windows.idle_class=true").data
    )
    assert data.detector["fitted"]["subjects"] == ["1", "2", "3", "4"]  # never subject 5
    assert data.summary()["detector"] == data.detector  # into data.json, and the bundle's manifest
    counts = data.summary()["splits"]["train"]["per_class"]
    assert counts["idle"] > 0 and counts["jab"] + counts["cross"] + counts["hook"] + counts["uppercut"] > 20
    sliding = load_windows(compose_train("data=strikes_sim", "data.source.n_subjects=5", *SPLIT).data)
    assert sliding.detector is None and "detector" not in sliding.summary()


def test_movement_windows_need_named_test_subjects(compose_train):
    cfg = compose_train(*WORKOUT, "data.split.test_subjects=null", "data.windows.kind=movements").data
    with pytest.raises(DataError, match="set data.split.test_subjects"):
        load_windows(cfg)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data.windows.kind=peaks", "data.windows.kind='peaks': expected one of sliding, movements"),
        ("data.windows.events=[jabs]", "data.windows.events: jabs not among the classes"),
    ],
)
def test_bad_window_settings_are_refused_by_name(compose_train, override, message):
    cfg = compose_train(*WORKOUT, *SPLIT, "data.windows.kind=movements", override).data
    with pytest.raises(DataError, match=message):
        load_windows(cfg, use_cache=False)


def test_an_unknown_window_key_is_refused_by_name():
    with pytest.raises(DataError, match="data.windows: unknown key.*colour"):
        windows_settings(OmegaConf.create({"windows": {"kind": "movements", "colour": "red"}}))
