"""Augmentation, preview and synth report for declared channels: per sensor triad, any count."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from har.augment import transforms
from har.augment.pipeline import build_pipeline
from har.augment.preview import preview
from har.config import ConfigError, compose
from har.data.channels import triads
from har.synth.quality import channel_statistics, plot_examples

SEED = tf.constant([4, 2], tf.int64)
NINE = ["ax", "ay", "az", "gx", "gy", "gz", "mx", "my", "mz"]


def _batch(channels: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(8, 50, channels)).astype(np.float32)


def test_rotation_turns_every_triad_present_and_leaves_other_channels():
    channels = ["ax", "ay", "az", "temp", "mx", "my", "mz"]
    x = _batch(len(channels))
    found = triads(channels)
    assert found == [(0, 1, 2), (4, 5, 6)]
    turned = transforms.rotation(tf.constant(x), SEED, strength=180.0, triads=found).numpy()
    np.testing.assert_array_equal(turned[..., 3], x[..., 3])  # a free channel is not a sensor axis
    for triad in found:
        np.testing.assert_allclose(
            np.linalg.norm(turned[..., list(triad)], axis=-1),
            np.linalg.norm(x[..., list(triad)], axis=-1),
            rtol=1e-5,
        )
        assert not np.allclose(turned[..., list(triad)], x[..., list(triad)])

    # one matrix per sample for every triad: the angle between the two sensors' vectors is kept
    def cosine(v):
        a, m = v[..., 0:3], v[..., 4:7]
        return (a * m).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(m, axis=-1)

    np.testing.assert_allclose(cosine(turned), cosine(x), atol=1e-4)


def test_per_triad_scaling_shares_one_factor_per_sensor():
    x = np.ones((4, 10, 9), np.float32)
    scaled = transforms.scaling(
        tf.constant(x), SEED, strength=0.5, per_triad=True, triads=triads(NINE)
    ).numpy()
    factors = scaled[:, 0, :]  # (B, C)
    for start in (0, 3, 6):
        np.testing.assert_array_equal(factors[:, start : start + 3], factors[:, [start]].repeat(3, axis=1))
    assert not np.allclose(factors[:, 0], factors[:, 3])


def test_the_pipeline_fits_the_declared_channels():
    pipeline = build_pipeline(
        compose("train", ["augment=strong", "paths.output_dir=x"]).augment, ["ax", "ay", "az"]
    )
    assert pipeline(tf.constant(_batch(3)), SEED).shape == (8, 50, 3)
    nine = build_pipeline(compose("train", ["augment=light", "paths.output_dir=x"]).augment, NINE)
    assert nine(tf.constant(_batch(9)), SEED).shape == (8, 50, 9)


def test_a_step_that_needs_a_triad_the_channels_lack_is_refused_by_name():
    cfg = compose("train", ["augment=light", "paths.output_dir=x"])
    with pytest.raises(ConfigError, match=r"augment.steps\[2\] \(rotation\): rotation needs a sensor triad"):
        build_pipeline(cfg.augment, ["ax", "ay"])


def test_the_preview_plots_an_accelerometer_only_window(tmp_path, session_cache):
    cfg = compose(
        "augment_preview",
        [
            f"paths.root={tmp_path}",
            f"paths.output_dir={tmp_path / 'preview'}",
            f"paths.cache_dir={session_cache}",
            "logger=none",
            "augment=light",
            "data.channels=[ax,ay,az]",
        ],
    )
    path = preview(cfg)
    assert path.is_file() and path.stat().st_size > 10_000


def test_the_synth_report_names_the_declared_channels(tmp_path):
    rng = np.random.default_rng(0)
    real, synthetic = rng.normal(size=(20, 32, 3)), rng.normal(size=(20, 32, 3))
    y = np.arange(20) % 2
    rows = channel_statistics(real, y, synthetic, y, ["a", "b"], ["ax", "ay", "az"])
    assert [r["channel"] for r in rows] == ["ax", "ay", "az"] * 2
    plot_examples(real, y, synthetic, y, ["a", "b"], tmp_path / "q.png", channels=["ax", "ay", "az"])
    assert (tmp_path / "q.png").stat().st_size > 5_000
