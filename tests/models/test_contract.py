"""Every conf/model/*.yaml: composes, builds, trains a step, converts to builtin-only TFLite."""

from __future__ import annotations

import numpy as np
import pytest
from model_helpers import windowed
from omegaconf import OmegaConf

from har.config import CONF_DIR, ConfigError, compose
from har.export.convert import make_interpreter, run_tflite, to_tflite
from har.models import load
from har.training.fit import build_model

MODELS = sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml"))
# Every model, and every model again with each boolean option of its builder switched on
# (e.g. the statistics side input), found from the configs so no option skips the contract.
VARIANTS = [(name, ()) for name in MODELS] + [
    (name, (f"model.build.{key}=true",))
    for name in MODELS
    for key, value in OmegaConf.load(CONF_DIR / "model" / f"{name}.yaml").build.items()
    if value is False
]


def test_the_zoo_is_complete():
    assert set(MODELS) >= {"cnn", "resnet1d", "inception1d", "dscnn", "deepconvlstm"}


def test_options_are_enumerated():
    assert ("cnn", ("model.build.statistics=true",)) in VARIANTS
    assert ("resnet1d", ("model.build.statistics=true",)) in VARIANTS


@pytest.mark.parametrize(("name", "options"), VARIANTS)
def test_model_builds_to_the_contract_shapes(name, options):
    cfg = compose("train", [f"model={name}", "paths.output_dir=unused", *options])
    model = build_model(cfg, windowed())
    assert model.input_shape == (None, 100, 6) and model.output_shape == (None, 7)
    assert model.count_params() > 0 and not model.compiled  # builders return uncompiled models


@pytest.mark.slow  # a training step, a save and four conversions per model: tens of seconds each
@pytest.mark.parametrize(("name", "options"), VARIANTS)
def test_model_contract(name, options, tmp_path):
    cfg = compose("train", [f"model={name}", "paths.output_dir=unused", *options])
    model = build_model(cfg, windowed())
    assert model.input_shape == (None, 100, 6) and model.output_shape == (None, 7)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 100, 6)).astype(np.float32)
    y = np.eye(7)[rng.integers(0, 7, 32)]
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    model.fit(X, y, batch_size=32, epochs=1, verbose=0)  # one step
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    keras_probabilities = model.predict(X, verbose=0)
    np.testing.assert_allclose(keras_probabilities.sum(axis=1), 1, atol=1e-5)
    model.save(tmp_path / "model.keras")  # a checkpoint loads back, har's own layers included
    np.testing.assert_allclose(
        load(tmp_path / "model.keras").predict(X, verbose=0), keras_probabilities, atol=1e-6
    )
    tflite = to_tflite(model)  # builtin ops only, or it raises
    lite_probabilities = run_tflite(make_interpreter(tflite), X)
    np.testing.assert_allclose(lite_probabilities, keras_probabilities, atol=1e-4)
    for variant in ("float16", "dynamic_int8", "int8"):  # every export variant, builtin ops only
        content = to_tflite(model, variant, representative=(w[None] for w in X))
        probabilities = run_tflite(make_interpreter(content), X)
        assert probabilities.shape == (32, 7) and np.isfinite(probabilities).all(), variant


@pytest.mark.parametrize("name", MODELS)
def test_a_window_too_short_for_the_model_names_the_reason(name):
    cfg = compose("train", [f"model={name}", "paths.output_dir=unused"])
    with pytest.raises(ConfigError, match=rf"model={name}: .*window of 2 samples is too short"):
        build_model(cfg, windowed(length=2))


@pytest.mark.parametrize("name", MODELS)
def test_a_negative_dropout_names_the_key(name):
    cfg = compose("train", [f"model={name}", "paths.output_dir=unused", "model.build.dropout_rate=-0.1"])
    with pytest.raises(ConfigError, match=r"model.build.dropout_rate=-0.1: expected a value in \[0, 1\)"):
        build_model(cfg, windowed())
