"""load_windows: normalisation from train only, the window cache, summaries."""

from __future__ import annotations

import numpy as np
import pytest

from har.data.dataset import Normaliser, load_windows


def test_normaliser_is_fit_on_train_windows_only(compose_train):
    data = load_windows(compose_train().data)
    expected = Normaliser.fit(data.train.X)
    np.testing.assert_allclose(data.normaliser.mean, expected.mean)
    np.testing.assert_allclose(data.normaliser.std, expected.std)
    everything = Normaliser.fit(np.concatenate([data.train.X, data.val.X, data.test.X]))
    assert not np.allclose(data.normaliser.mean, everything.mean, atol=1e-4)
    normalised = data.normaliser(data.train.X).reshape(-1, 6)
    np.testing.assert_allclose(normalised.mean(0), 0, atol=1e-3)
    np.testing.assert_allclose(normalised.std(0), 1, atol=1e-3)


def test_watch_default_summary(compose_train):
    data = load_windows(compose_train().data)
    summary = data.summary()["splits"]
    assert summary["test"]["subjects"] == ["9", "10"] and summary["val"]["subjects"] == ["8"]
    assert sum(s["recordings"] for s in summary.values()) == 140
    assert data.window == 100 and data.hop == 50 and data.input_shape == (100, 6)


def test_cache_is_hit_then_invalidated_by_a_config_change(compose_train, tmp_path):
    cache = f"data.cache_dir={tmp_path / 'windows'}"
    first = load_windows(compose_train(cache).data)
    second = load_windows(compose_train(cache).data)
    assert not first.cache_hit and second.cache_hit
    assert first.cache_path == second.cache_path
    np.testing.assert_array_equal(first.train.X, second.train.X)
    changed = load_windows(compose_train(cache, "data.hop_s=0.5").data)
    assert not changed.cache_hit and changed.cache_path != first.cache_path
    assert len(changed.train) > len(first.train)
    # the split is not part of the key: another split reuses the windows
    resplit = load_windows(compose_train(cache, "data.split.val_subjects=[7]").data)
    assert resplit.cache_hit and resplit.subjects["val"] == ["7"]


def test_a_corrupt_cache_entry_is_rebuilt(compose_train, tmp_path):
    cache = f"data.cache_dir={tmp_path / 'windows'}"
    first = load_windows(compose_train(cache).data)
    first.cache_path.write_bytes(first.cache_path.read_bytes()[:1000])  # truncated
    again = load_windows(compose_train(cache).data)
    assert not again.cache_hit
    np.testing.assert_array_equal(first.train.X, again.train.X)
    assert load_windows(compose_train(cache).data).cache_hit


def test_reduced_train_keeps_the_fraction_per_class(compose_train):
    full = load_windows(compose_train().data)
    quarter = load_windows(compose_train("data.train_fraction=0.25").data)
    for label in range(7):
        expected = round(0.25 * (full.train.y == label).sum())
        assert (quarter.train.y == label).sum() == expected
    assert len(quarter.val) == len(full.val) and len(quarter.test) == len(full.test)
    with pytest.raises(ValueError, match="train_fraction=1.5"):
        load_windows(compose_train("data.train_fraction=1.5").data)
