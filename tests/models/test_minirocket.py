"""har's MiniRocket: aeon's features on fixed data, LiteRT agreement, biases from train only."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from model_helpers import windowed

from har.config import compose
from har.export.convert import make_interpreter, run_tflite, to_tflite
from har.models import TrainingWindows
from har.models.minirocket import NUM_KERNELS, MiniRocketFeatures, build, fit_dilations
from har.training.fit import build_model

FIXTURE = Path(__file__).parent / "fixtures" / "minirocket_aeon.npz"


def aeon_transform(fixture) -> MiniRocketFeatures:
    """har's layer holding the parameters aeon fitted (the fixture's), in aeon's layout."""
    sizes, indices = fixture["num_channels_per_combination"], fixture["channel_indices"]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    channel_sets = [indices[a:b] for a, b in zip(starts[:-1], starts[1:])]
    layer = MiniRocketFeatures(fixture["dilations"], fixture["num_features_per_dilation"])
    layer.build((None, *fixture["X"].shape[1:]))
    layer.set_parameters(channel_sets, fixture["biases"])
    return layer


def test_features_match_aeon_on_fixed_data():
    fixture = np.load(FIXTURE)
    layer = aeon_transform(fixture)
    ours = keras.ops.convert_to_numpy(layer(fixture["X"]))[:, layer.aeon_order()]
    theirs = fixture["features"]
    assert ours.shape == theirs.shape
    # A PPV is a count of time steps over the steps it pools (T padded, T - 8d unpadded): a value
    # a float rounding away from its bias (aeon sums in float64, we in float32) can flip one
    # step of one feature, nothing more.
    length = fixture["X"].shape[1]
    pooled = np.concatenate(
        [
            np.full(biases.shape[0] * biases.shape[1], length if padding == "same" else length - 8 * dilation)
            for dilation, padding, _, biases in layer.parts
        ]
    )[layer.aeon_order()]
    assert (np.abs(ours - theirs) * pooled).max() <= 1 + 1e-4
    assert np.mean(np.abs(ours - theirs) > 1e-6) < 1e-3


def test_dilations_follow_the_paper():
    dilations, features = fit_dilations(100, 10_000, 32)
    assert dilations[0] == 1 and dilations[-1] == 12  # up to (T - 1) / (9 - 1)
    assert features.sum() == 10_000 // NUM_KERNELS  # 119 features per kernel
    fixture = np.load(FIXTURE)
    length = fixture["X"].shape[1]
    ours = fit_dilations(length, NUM_KERNELS * int(fixture["num_features_per_dilation"].sum()), 32)
    np.testing.assert_array_equal(ours[0], fixture["dilations"])
    np.testing.assert_array_equal(ours[1], fixture["num_features_per_dilation"])


def _trained_like(model: keras.Model, X: np.ndarray, y: np.ndarray) -> keras.Model:
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=3, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def trained():
    data = windowed(length=64, num_classes=4, n=96)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 96)
    data.train.X[:] += y[:, None, None] * np.sin(np.linspace(0, 6 * np.pi, 64))[None, :, None]  # learnable
    model = build(data.input_shape, 4, data=TrainingWindows(data.train.X, data.channels), num_features=840)
    return _trained_like(model, data.train.X, y), data.train.X


def test_litert_float32_agrees_with_keras(trained):
    model, X = trained
    keras_probabilities = model.predict(X, verbose=0)
    lite = run_tflite(make_interpreter(to_tflite(model)), X)
    np.testing.assert_allclose(lite, keras_probabilities, atol=1e-5)


def test_litert_float16_agrees_with_keras(trained):
    """The biases are fitted as float16 values, so the float16 export keeps them exactly and
    its features are the float32 ones (a convolution summed in another order may flip one
    time step of one feature); only the head's weights are rounded."""
    model, X = trained
    transform = keras.Model(model.input, model.get_layer("minirocket").output)
    features = transform.predict(X, verbose=0)
    lite = run_tflite(make_interpreter(to_tflite(transform, "float16")), X)
    steps = np.abs(lite - features) * X.shape[1]  # in time steps (a mean's rounding aside)
    assert steps.max() <= 1 + 1e-4 and np.mean(steps > 1e-4) < 1e-3
    probabilities = model.predict(X, verbose=0)
    lite_probabilities = run_tflite(make_interpreter(to_tflite(model, "float16")), X)
    assert np.abs(lite_probabilities - probabilities).max() < 0.01
    assert np.array_equal(lite_probabilities.argmax(1), probabilities.argmax(1))


def _fitted_values(data) -> list[np.ndarray]:
    cfg = compose("train", ["model=minirocket", "paths.output_dir=unused", "model.build.num_features=840"])
    model = build_model(cfg, data)
    return [w for layer in ("minirocket", "feature_scale") for w in model.get_layer(layer).get_weights()]


def test_biases_and_scaling_come_from_train_windows_only():
    data = windowed()
    before = _fitted_values(data)
    data.val.X[:] = 100 * data.val.X + 7  # other val and test windows: nothing changes
    data.test.X[:] = -data.test.X
    assert all(np.array_equal(a, b) for a, b in zip(before, _fitted_values(data)))
    data.train.X[:] = data.train.X[::-1].copy()  # other train windows: other biases
    assert not all(np.array_equal(a, b) for a, b in zip(before, _fitted_values(data)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"data": None}, "minirocket fits its biases on training windows"),
        ({"num_features": 50}, "num_features=50: expected at least 84"),
    ],
)
def test_bad_options_name_the_reason(options, message):
    data = windowed()
    arguments = {"data": TrainingWindows(data.train.X, data.channels), **options}
    with pytest.raises(ValueError, match=message):
        build(data.input_shape, 7, **arguments)
