"""Every conf/augment/*.yaml composes and runs through the pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from har.augment.pipeline import build_pipeline
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
