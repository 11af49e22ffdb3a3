"""Every conf/augment/*.yaml composes and runs through the pipeline; mixup mixes."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from har.augment.pipeline import build_pipeline, mixup
from har.config import CONF_DIR, ConfigError
from har.data.dataset import load_windows
from har.data.pipeline import make_dataset

PIPELINES = sorted(p.stem for p in (CONF_DIR / "augment").glob("*.yaml"))


def test_the_documented_pipelines_exist():
    assert set(PIPELINES) >= {"none", "light", "strong", "um2017"}


@pytest.mark.parametrize("name", PIPELINES)
def test_pipeline_runs_in_tf_data(compose_train, name):
    cfg = compose_train(f"augment={name}")
    pipeline = build_pipeline(cfg.augment)
    assert (pipeline is None) == (name == "none")
    data = load_windows(cfg.data)
    dataset = make_dataset(
        data.train, data.normaliser, batch_size=64, training=True, seed=1, augment=pipeline, num_classes=7
    )
    x, y = next(iter(dataset))
    assert x.shape == (64, 100, 6) and x.dtype == tf.float32 and y.shape == (64, 7)
    assert np.isfinite(x.numpy()).all()
    again = next(
        iter(
            make_dataset(
                data.train,
                data.normaliser,
                batch_size=64,
                training=True,
                seed=1,
                augment=pipeline,
                num_classes=7,
            )
        )
    )[0]
    np.testing.assert_array_equal(x.numpy(), again.numpy())  # seeded: the same batch twice


def test_a_bad_step_value_names_the_step(compose_train):
    cfg = compose_train("augment=light", "augment.steps.0.probability=2")
    with pytest.raises(ConfigError, match=r"augment.steps\[0\] \(jitter\): probability=2"):
        build_pipeline(cfg.augment)


def test_a_target_outside_har_is_refused(compose_train):
    cfg = compose_train("augment=light", "augment.steps.0._target_=os.system")
    with pytest.raises(ConfigError, match=r"augment.steps\[0\]._target_='os.system'"):
        build_pipeline(cfg.augment)


def test_mixup_makes_convex_combinations():
    x = tf.constant(np.random.default_rng(0).normal(size=(32, 10, 6)).astype(np.float32))
    y = tf.one_hot(np.arange(32) % 4, 4)
    x_mix, y_mix = mixup(x, y, tf.constant([0, 1], tf.int64), alpha=0.4)
    np.testing.assert_allclose(y_mix.numpy().sum(axis=1), 1, atol=1e-6)
    assert (y_mix.numpy() >= 0).all() and not np.array_equal(x_mix.numpy(), x.numpy())


def test_mixup_in_the_pipeline_gives_soft_labels(compose_train):
    data = load_windows(compose_train().data)
    dataset = make_dataset(
        data.train, data.normaliser, batch_size=64, training=True, num_classes=7, mixup_alpha=0.4
    )
    _, y = next(iter(dataset))
    assert (y.numpy().max(axis=1) < 1).any()
