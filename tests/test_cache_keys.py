"""Every cache says what its key depends on, once: each key of the config section it is computed
from changes the key, or is declared not to matter (with a reason).

A setting added later to a data, synth or train config fails here until it is declared, so it
cannot silently reuse a cached entry that it should have invalidated.
"""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from omegaconf import OmegaConf

from har.config import compose
from har.data import WINDOW_CACHE, window_cache_key
from har.synth import SYNTH_CACHE, vae_key
from har.training.run import FOLD_REUSE, _fold_fingerprint
from har.validation import Fold

CONF = Path(__file__).resolve().parent.parent / "conf"
DATASETS = sorted(p.stem for p in (CONF / "data").glob("*.yaml"))


def _changed(value: Any) -> Any:
    """A different value of the same kind (the first leaf of a mapping changed)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, list):
        return [*value, "changed"]
    if isinstance(value, dict):
        if not value:
            return {"changed": 1}
        first = next(iter(value))
        return {**value, first: _changed(value[first])}
    return "changed"


def _set(settings: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(settings)
    *parents, last = dotted.split(".")
    node = changed
    for key in parents:
        node = node[key]
    node[last] = value
    return changed


def _get(settings: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        settings = settings[key]
    return settings


def _train_config(*overrides: str) -> dict[str, Any]:
    cfg = compose(
        "train", ["paths.root=/tmp/har-cache-keys", "paths.output_dir=/tmp/har-cache-keys/run", *overrides]
    )
    return OmegaConf.to_container(cfg, resolve=True)


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_data_key_changes_the_window_cache_or_is_declared_not_to(dataset):
    # the one mandatory value of the csv source and of the device configs built on it
    path = ["data.source.path=/tmp/recordings"] if dataset in ("csv", "metamotion", "sensor_logger") else []
    data = _train_config(f"data={dataset}", *path)["data"]
    assert WINDOW_CACHE.undeclared(data) == []

    def key(settings):
        return window_cache_key(OmegaConf.create(settings), "fingerprint")

    for name in WINDOW_CACHE.depends_on:
        if name == "source":  # through source.fingerprint(): each source hashes its own files and settings
            assert window_cache_key(OmegaConf.create(data), "other") != key(data)
            continue
        assert key(_set(data, name, _changed(data[name]))) != key(data), name
    for name in WINDOW_CACHE.ignores:
        assert key(_set(data, name, _changed(_get(data, name)))) == key(data), name


def test_every_synth_key_changes_the_vae_cache_or_is_declared_not_to():
    synth = _train_config("synth=cvae")["synth"]
    assert SYNTH_CACHE.undeclared(synth) == []
    windows = SimpleNamespace(X=np.zeros((4, 10, 6), np.float32), y=np.arange(4) % 2)
    data = SimpleNamespace(train=windows, class_names=["a", "b"])

    def key(settings):
        return vae_key(OmegaConf.create(settings), data, seed=0)

    for name in SYNTH_CACHE.depends_on:
        if name == "seed":  # passed on its own: the trainer's seed unless synth.seed is set
            assert vae_key(OmegaConf.create(synth), data, seed=1) != key(synth)
            continue
        assert key(_set(synth, name, _changed(synth[name]))) != key(synth), name
    for name in SYNTH_CACHE.ignores:
        assert key(_set(synth, name, _changed(synth[name]))) == key(synth), name


def test_finished_folds_are_reused_only_when_nothing_but_the_declared_keys_changed():
    config = _train_config("validation=subject_kfold")
    fold = Fold(1, {"train": ["1", "2"], "val": ["3"], "test": ["9"]})
    fingerprint = _fold_fingerprint(config, fold)
    for name in FOLD_REUSE.ignores:
        assert _fold_fingerprint(_set(config, name, _changed(_get(config, name))), fold) == fingerprint, name
    ignored_sections = {name for name in FOLD_REUSE.ignores if "." not in name}
    for name in sorted(set(config) - ignored_sections):
        assert _fold_fingerprint(_set(config, name, _changed(config[name])), fold) != fingerprint, name
    other_fold = Fold(1, {"train": ["1", "3"], "val": ["2"], "test": ["9"]})
    assert _fold_fingerprint(config, other_fold) != fingerprint
