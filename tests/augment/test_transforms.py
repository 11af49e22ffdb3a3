"""Each augmentation: shape/dtype kept, input untouched, seeded, identity at 0, physics kept."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import tensorflow as tf

from har.augment import transforms

SEED = tf.constant([1, 2], tf.int64)
OTHER_SEED = tf.constant([1, 3], tf.int64)
# Every public function of the module is a transform: found here, so a new one cannot skip the
# contract. Each runs with its own default parameters (a non-zero strength), except as below.
TRANSFORMS = sorted(
    name
    for name, function in inspect.getmembers(transforms, inspect.isfunction)
    if function.__module__ == transforms.__name__ and not name.startswith("_")
)
# the default 0.1 drops no channel of about half the samples: too weak to see every sample change
STRONGER = {"channel_dropout": {"strength": 0.5}}


def _parameters(name: str) -> dict:
    return STRONGER.get(name, {})


def test_the_transforms_are_found_and_take_probability_and_strength():
    assert set(STRONGER) <= set(TRANSFORMS)
    assert {"jitter", "rotation", "time_warp", "channel_dropout"} <= set(TRANSFORMS)
    for name in TRANSFORMS:
        signature = inspect.signature(getattr(transforms, name))
        assert list(signature.parameters)[:2] == ["x", "seed"], name
        for keyword in ("probability", "strength"):
            parameter = signature.parameters[keyword]
            assert parameter.kind == parameter.KEYWORD_ONLY and parameter.default, (name, keyword)


def _batch(seed=0, batch=16, length=100):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 4 * np.pi, length)
    x = np.sin(t[None, :, None] * rng.uniform(0.5, 2, (batch, 1, 6)) + rng.uniform(0, 6, (batch, 1, 6)))
    return (x * rng.uniform(0.5, 3, (batch, 1, 6)) + rng.normal(0, 0.1, (batch, length, 6))).astype(
        np.float32
    )


@pytest.mark.parametrize("name", TRANSFORMS)
def test_contract(name):
    function = getattr(transforms, name)
    x = _batch()
    original = x.copy()
    out = function(tf.constant(x), SEED, probability=1.0, **_parameters(name)).numpy()
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(x, original)  # input untouched
    np.testing.assert_array_equal(
        out, function(tf.constant(x), SEED, probability=1.0, **_parameters(name)).numpy()
    )
    assert not np.array_equal(
        out, function(tf.constant(x), OTHER_SEED, probability=1.0, **_parameters(name)).numpy()
    )
    assert not np.array_equal(out, x)
    zero_strength = {**_parameters(name), "strength": 0}
    np.testing.assert_array_equal(function(tf.constant(x), SEED, probability=1.0, **zero_strength).numpy(), x)
    np.testing.assert_array_equal(
        function(tf.constant(x), SEED, probability=0.0, **_parameters(name)).numpy(), x
    )


@pytest.mark.parametrize("name", TRANSFORMS)
def test_probability_picks_samples(name):
    x = _batch(batch=400, length=40)
    out = getattr(transforms, name)(tf.constant(x), SEED, probability=0.5, **_parameters(name)).numpy()
    changed = np.array([not np.array_equal(a, b) for a, b in zip(out, x)])
    assert 0.35 < changed.mean() < 0.65


def test_rotation_preserves_norms_and_rotates_both_triads_alike():
    x = _batch()
    x[..., 3:] = x[..., :3] * 0.5 + 0.1 * x[..., 3:]  # gyro differs from accel
    out = transforms.rotation(tf.constant(x), SEED, strength=180.0).numpy()
    for triad in (slice(0, 3), slice(3, 6)):
        np.testing.assert_allclose(
            np.linalg.norm(out[..., triad], axis=-1),
            np.linalg.norm(x[..., triad], axis=-1),
            rtol=1e-5,
            atol=1e-5,
        )
    for sample in range(len(x)):
        # recover the rotation from the accelerometer, then check it maps the gyroscope too
        matrix, *_ = np.linalg.lstsq(x[sample, :, :3], out[sample, :, :3], rcond=None)
        np.testing.assert_allclose(matrix.T @ matrix, np.eye(3), atol=1e-4)
        np.testing.assert_allclose(x[sample, :, 3:] @ matrix, out[sample, :, 3:], atol=1e-4)


def test_rotation_angle_is_limited():
    x = np.zeros((200, 10, 6), np.float32)
    x[..., 0] = 1.0  # accel along x
    out = transforms.rotation(tf.constant(x), SEED, strength=20.0).numpy()
    angles = np.degrees(np.arccos(np.clip(out[:, 0, 0], -1, 1)))
    assert angles.max() <= 20.0 + 1e-3 and angles.max() > 10


@pytest.mark.parametrize("name", ["time_warp", "crop_and_resize"])
def test_time_stays_monotonic(name):
    length = 100
    ramp = np.broadcast_to(np.arange(length, dtype=np.float32)[None, :, None], (32, length, 6)).copy()
    out = getattr(transforms, name)(tf.constant(ramp), SEED, **_parameters(name)).numpy()
    assert (np.diff(out, axis=1) >= -1e-4).all()
    if name == "time_warp":  # both ends stay where they were
        np.testing.assert_allclose(out[:, 0], 0, atol=1e-4)
        np.testing.assert_allclose(out[:, -1], length - 1, atol=1e-3)


def test_permutation_reorders_whole_segments():
    length = 100
    ramp = np.broadcast_to(np.arange(length, dtype=np.float32)[None, :, None], (8, length, 6)).copy()
    out = transforms.permutation(tf.constant(ramp), SEED, strength=4).numpy()
    for sample in out:
        np.testing.assert_array_equal(np.sort(sample[:, 0]), np.arange(length))  # nothing lost
        assert (np.diff(sample[:, 0]) != 1).sum() <= 3  # at most 3 jumps between 4 segments


def test_time_shift_repeats_the_edge():
    ramp = np.broadcast_to(np.arange(50, dtype=np.float32)[None, :, None], (16, 50, 6)).copy()
    out = transforms.time_shift(tf.constant(ramp), SEED, strength=0.2).numpy()
    for sample in out[..., 0]:
        steps = np.diff(sample)
        assert set(np.unique(steps)) <= {0.0, 1.0}  # a shifted ramp with flat (repeated) edges


def test_channel_dropout_zeroes_whole_channels():
    x = _batch()
    out = transforms.channel_dropout(tf.constant(x), SEED, strength=0.5).numpy()
    for a, b in zip(out, x):
        for channel in range(6):
            assert np.array_equal(a[:, channel], b[:, channel]) or not a[:, channel].any()


@pytest.mark.parametrize(
    ("name", "bad"),
    [("jitter", {"probability": 1.5}), ("scaling", {"strength": -1}), ("crop_and_resize", {"strength": 1.0})],
)
def test_bad_parameters_are_refused(name, bad):
    with pytest.raises(ValueError):
        getattr(transforms, name)(tf.constant(_batch()), SEED, **{"probability": 1.0, "strength": 0.1, **bad})
