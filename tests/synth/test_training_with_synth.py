"""Synthetic windows in `train(cfg)`: train stream only, ratio 0 changes nothing, report copied."""

from __future__ import annotations

import json

import pytest

from har.data.dataset import load_windows
from har.train import train

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


def test_synthetic_windows_join_training_only(compose_train, tmp_path, tiny_vae):
    # synth.augment=false: light augmentation on real windows, synthetic ones as generated
    result = _run(
        compose_train,
        tmp_path,
        "synth",
        "augment=light",
        "synth=cvae",
        "synth.ratio=1",
        "synth.augment=false",
        *tiny_vae,
    )
    real = load_windows(compose_train(*TINY_RUN).data).summary()["splits"]
    assert json.loads((result.run_dir / "data.json").read_text())["splits"] == real  # val, test untouched
    metrics = result.metrics
    assert metrics["synth/windows"] == real["train"]["windows"]
    assert sum(metrics["synth/per_class"].values()) == metrics["synth/windows"]
    assert 0 <= metrics["synth/discriminative_score"] <= 0.5
    assert (result.run_dir / "synth_quality.json").is_file() and (
        result.run_dir / "synth_quality.png"
    ).is_file()
