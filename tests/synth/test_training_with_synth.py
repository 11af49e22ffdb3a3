"""Synthetic windows in `train(cfg)`: they reach fit and only fit, ratio 0 changes nothing, report copied."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from har.training.run import train

pytestmark = pytest.mark.slow

TINY_RUN = ["logger=none", "trainer.epochs=1", "data.train_fraction=0.1", "model.build.width=8"]


def _run(compose_train, tmp_path, name, *overrides):
    vae_cache = [f"synth.cache_dir={tmp_path / 'vae'}"] if "synth=cvae" in overrides else []
    cfg = compose_train(*TINY_RUN, *overrides, *vae_cache)
    cfg.paths.output_dir = str(tmp_path / name)
    return train(cfg)


def test_ratio_zero_is_the_same_run_as_no_synth(compose_train, tmp_path, tiny_vae):
    off = _run(compose_train, tmp_path, "off").metrics
    zero = _run(compose_train, tmp_path, "zero", "synth=cvae", "synth.ratio=0", *tiny_vae).metrics
    for key in ("test/macro_f1", "val/macro_f1", "train/loss"):
        assert zero[key] == pytest.approx(off[key], abs=1e-6)
    assert zero["synth/windows"] == 0 and not (tmp_path / "vae").exists()


def _batches_fit(run_dir) -> int:
    """Optimizer steps of the best checkpoint (one epoch here): the batches `fit` trained on."""
    return int(keras.models.load_model(run_dir / "best.keras").optimizer.iterations.numpy())


def test_synthetic_windows_reach_fit_and_only_fit(compose_train, tmp_path, tiny_vae):
    # synth.augment=false: light augmentation on real windows, synthetic ones as generated
    synth = ["augment=light", "synth=cvae", "synth.ratio=1", *tiny_vae]
    real = _run(compose_train, tmp_path, "real", "augment=light")
    plain = _run(compose_train, tmp_path, "plain", *synth, "synth.augment=false")
    recorded = json.loads((plain.run_dir / "data.json").read_text())["splits"]
    n_train = recorded["train"]["windows"]
    assert recorded == json.loads((real.run_dir / "data.json").read_text())["splits"]  # real windows only
    assert plain.metrics["synth/windows"] == n_train  # ratio 1
    assert sum(plain.metrics["synth/per_class"].values()) == n_train
    batch_size = int(compose_train().trainer.batch_size)
    assert _batches_fit(real.run_dir) == -(-n_train // batch_size)
    assert _batches_fit(plain.run_dir) == -(-2 * n_train // batch_size)  # real + synthetic windows
    assert np.load(plain.run_dir / "confusion_test.npy").sum() == recorded["test"]["windows"]
    assert 0 <= plain.metrics["synth/discriminative_score"] <= 0.5
    assert (plain.run_dir / "synth_quality.json").is_file()
    assert (plain.run_dir / "synth_quality.png").is_file()
    # synth.augment=true augments the synthetic windows too: the same seed trains differently
    augmented = _run(compose_train, tmp_path, "augmented", *synth, "synth.augment=true").metrics
    assert augmented["synth/vae_cache_hit"] and augmented["synth/windows"] == n_train
    assert abs(augmented["train/loss"] - plain.metrics["train/loss"]) > 1e-4
