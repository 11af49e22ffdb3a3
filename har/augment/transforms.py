"""The transforms. Shapes: x (B, T, C), channels in `data.channels` order.

Steps that act on whole sensors take `triads`: the (x, y, z) channel indices of every sensor
triad present (`har.data.channels.triads`); the pipeline fills them in from `data.channels`.
The default is the standard layout, accelerometer 0-2 and gyroscope 3-5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import tensorflow as tf

Triads = Sequence[Sequence[int]]
DEFAULT_TRIADS: tuple[tuple[int, int, int], ...] = ((0, 1, 2), (3, 4, 5))


def _seeds(seed: tf.Tensor, count: int) -> list[tf.Tensor]:
    return list(tf.unstack(tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), count)))


def _per_sample(x: tf.Tensor, augmented: tf.Tensor, probability: float, seed: tf.Tensor) -> tf.Tensor:
    """Keep `augmented` for a `probability` share of the samples, `x` for the rest."""
    if probability >= 1:
        return augmented
    chosen = tf.random.stateless_uniform([tf.shape(x)[0]], seed) < probability  # (B,)
    return tf.where(chosen[:, None, None], augmented, x)


def _identity(probability: float, strength: float) -> bool:
    if not 0 <= probability <= 1:
        raise ValueError(f"probability={probability}: expected a value in [0, 1]")
    if strength < 0:
        raise ValueError(f"strength={strength}: expected a value >= 0")
    return probability == 0 or strength == 0


def _smooth_curves(
    seed: tf.Tensor, batch: tf.Tensor, length: tf.Tensor, channels: int, knots: int, sigma: float
) -> tf.Tensor:
    """Random curves around 1 through `knots` + 2 points, cosine-interpolated: (B, T, channels)."""
    values = 1.0 + sigma * tf.random.stateless_normal([batch, knots + 2, channels], seed)  # (B, K, C)
    position = tf.linspace(0.0, float(knots + 1), length)  # (T,) in knot units
    left = tf.minimum(tf.cast(tf.floor(position), tf.int32), knots)
    weight = (1.0 - tf.cos(math.pi * (position - tf.cast(left, tf.float32)))) / 2.0  # (T,)
    low = tf.gather(values, left, axis=1)  # (B, T, C)
    high = tf.gather(values, left + 1, axis=1)
    return low + (high - low) * weight[None, :, None]


def _resample(x: tf.Tensor, positions: tf.Tensor) -> tf.Tensor:
    """Linear interpolation of x (B, T, C) at fractional time positions (B, T)."""
    length = tf.shape(x)[1]
    positions = tf.clip_by_value(positions, 0.0, tf.cast(length - 1, tf.float32))
    left = tf.minimum(tf.cast(tf.floor(positions), tf.int32), length - 2)
    fraction = (positions - tf.cast(left, tf.float32))[..., None]  # (B, T, 1)
    low = tf.gather(x, left, batch_dims=1)  # (B, T, C)
    high = tf.gather(x, left + 1, batch_dims=1)
    return low + (high - low) * fraction


def jitter(x: tf.Tensor, seed: tf.Tensor, *, probability: float = 1.0, strength: float = 0.05) -> tf.Tensor:
    """Additive Gaussian noise; sigma = `strength` x each window's channel std."""
    if _identity(probability, strength):
        return x
    noise_seed, pick_seed = _seeds(seed, 2)
    scale = tf.math.reduce_std(x, axis=1, keepdims=True) + 1e-6  # (B, 1, C)
    noisy = x + strength * scale * tf.random.stateless_normal(tf.shape(x), noise_seed)
    return _per_sample(x, noisy, probability, pick_seed)


def _check_triads(triads: Triads, channels: int) -> None:
    if any(len(t) != 3 or not all(0 <= i < channels for i in t) for t in triads):
        raise ValueError(
            f"triads={[list(t) for t in triads]}: not (x, y, z) indices of the {channels} channels"
        )


def scaling(
    x: tf.Tensor,
    seed: tf.Tensor,
    *,
    probability: float = 1.0,
    strength: float = 0.1,
    per_triad: bool = False,
    triads: Triads = DEFAULT_TRIADS,
) -> tf.Tensor:
    """Multiply each channel by N(1, strength); with `per_triad`, one factor per sensor triad
    (channels outside a triad keep their own)."""
    if _identity(probability, strength):
        return x
    factor_seed, pick_seed = _seeds(seed, 2)
    channels = x.shape[-1]
    factors = 1.0 + strength * tf.random.stateless_normal([tf.shape(x)[0], 1, channels], factor_seed)
    if per_triad:
        _check_triads(triads, channels)
        owner = list(range(channels))  # the channel whose factor each channel takes
        for triad in triads:
            owner[triad[1]] = owner[triad[2]] = triad[0]
        factors = tf.gather(factors, owner, axis=2)  # (B, 1, C)
    return _per_sample(x, x * factors, probability, pick_seed)


def magnitude_warp(
    x: tf.Tensor, seed: tf.Tensor, *, probability: float = 1.0, strength: float = 0.2, knots: int = 4
) -> tf.Tensor:
    """Multiply by a smooth random curve around 1 (per channel), `knots` inner knots."""
    if _identity(probability, strength):
        return x
    curve_seed, pick_seed = _seeds(seed, 2)
    shape = tf.shape(x)
    curves = _smooth_curves(curve_seed, shape[0], shape[1], x.shape[-1], knots, strength)
    return _per_sample(x, x * curves, probability, pick_seed)


def time_warp(
    x: tf.Tensor, seed: tf.Tensor, *, probability: float = 1.0, strength: float = 0.2, knots: int = 4
) -> tf.Tensor:
    """Resample along a smooth random, monotonic time distortion that keeps both ends fixed."""
    if _identity(probability, strength):
        return x
    curve_seed, pick_seed = _seeds(seed, 2)
    shape = tf.shape(x)
    speed = tf.maximum(
        _smooth_curves(curve_seed, shape[0], shape[1], 1, knots, strength)[..., 0], 0.1
    )  # (B, T) > 0
    elapsed = tf.cumsum(speed, axis=1, exclusive=True)  # (B, T), increasing, starts at 0
    positions = elapsed / elapsed[:, -1:] * tf.cast(shape[1] - 1, tf.float32)  # ends at T - 1
    return _per_sample(x, _resample(x, positions), probability, pick_seed)


def _rotation_matrices(seed: tf.Tensor, batch: tf.Tensor, max_angle_degrees: float) -> tf.Tensor:
    """(B, 3, 3) rotations about a uniform random axis by an angle in +-max_angle (Rodrigues)."""
    axis_seed, angle_seed = _seeds(seed, 2)
    axis = tf.math.l2_normalize(tf.random.stateless_normal([batch, 3], axis_seed), axis=1)  # (B, 3)
    limit = math.radians(min(max_angle_degrees, 180.0))
    angle = tf.random.stateless_uniform([batch, 1, 1], angle_seed, -limit, limit)
    zero = tf.zeros([batch])
    a0, a1, a2 = tf.unstack(axis, axis=1)
    k = tf.reshape(tf.stack([zero, -a2, a1, a2, zero, -a0, -a1, a0, zero], axis=1), [batch, 3, 3])
    return tf.eye(3, batch_shape=[batch]) + tf.sin(angle) * k + (1.0 - tf.cos(angle)) * tf.matmul(k, k)


def rotation(
    x: tf.Tensor,
    seed: tf.Tensor,
    *,
    probability: float = 1.0,
    strength: float = 180.0,
    triads: Triads = DEFAULT_TRIADS,
) -> tf.Tensor:
    """One random 3D rotation per sample, applied to every sensor triad alike.

    `strength` is the maximum angle in degrees (180: any orientation): a device worn at
    another angle sees all its triads (accelerometer, gyroscope, magnetometer) rotated by the
    same matrix, so norms are preserved. Channels outside a triad are left as they are.
    """
    if not triads:
        raise ValueError(
            "rotation needs a sensor triad (the x, y, z channels of one sensor, e.g. ax ay az) "
            "and data.channels has none; remove the step or declare a full triad"
        )
    _check_triads(triads, x.shape[-1])
    if _identity(probability, strength):
        return x
    rotation_seed, pick_seed = _seeds(seed, 2)
    matrices = _rotation_matrices(rotation_seed, tf.shape(x)[0], strength)  # (B, 3, 3)
    columns = [x[..., c : c + 1] for c in range(x.shape[-1])]  # C x (B, T, 1)
    for triad in triads:
        turned = tf.matmul(tf.gather(x, list(triad), axis=-1), matrices, transpose_b=True)  # (B, T, 3)
        for axis, channel in enumerate(triad):
            columns[channel] = turned[..., axis : axis + 1]
    return _per_sample(x, tf.concat(columns, axis=-1), probability, pick_seed)


def permutation(x: tf.Tensor, seed: tf.Tensor, *, probability: float = 1.0, strength: float = 4) -> tf.Tensor:
    """Cut the window into `strength` equal segments and shuffle them (per sample)."""
    segments = int(strength)
    if _identity(probability, strength) or segments < 2:
        return x
    order_seed, pick_seed = _seeds(seed, 2)
    shape = tf.shape(x)
    length = shape[1]
    segment = tf.minimum(tf.range(length) * segments // length, segments - 1)  # (T,) segment of each step
    starts = tf.math.unsorted_segment_min(tf.range(length), segment, segments)  # (S,)
    sizes = tf.math.bincount(segment, minlength=segments)  # (S,)
    order = tf.argsort(tf.random.stateless_uniform([shape[0], segments], order_seed), axis=1)  # (B, S)

    def sample_index(permuted: tf.Tensor) -> tf.Tensor:
        return tf.concat(
            [tf.range(starts[s], starts[s] + sizes[s]) for s in tf.unstack(permuted, num=segments)], axis=0
        )

    index = tf.map_fn(sample_index, order, fn_output_signature=tf.TensorSpec([None], tf.int32))  # (B, T)
    return _per_sample(x, tf.gather(x, index, batch_dims=1), probability, pick_seed)


def crop_and_resize(
    x: tf.Tensor, seed: tf.Tensor, *, probability: float = 1.0, strength: float = 0.1
) -> tf.Tensor:
    """Keep a random contiguous part of 1 - u x `strength` of the window, stretched back to T."""
    if _identity(probability, strength):
        return x
    if strength >= 1:
        raise ValueError(f"strength={strength}: crop_and_resize needs a value below 1")
    size_seed, start_seed, pick_seed = _seeds(seed, 3)
    shape = tf.shape(x)
    last = tf.cast(shape[1] - 1, tf.float32)
    kept = 1.0 - strength * tf.random.stateless_uniform([shape[0], 1], size_seed)  # (B, 1) share kept
    start = (1.0 - kept) * tf.random.stateless_uniform([shape[0], 1], start_seed) * last
    positions = start + tf.linspace(0.0, 1.0, shape[1])[None, :] * kept * last  # (B, T)
    return _per_sample(x, _resample(x, positions), probability, pick_seed)


def time_shift(
    x: tf.Tensor, seed: tf.Tensor, *, probability: float = 1.0, strength: float = 0.1
) -> tf.Tensor:
    """Shift by up to `strength` x T samples either way, repeating the edge sample (no wrap-around)."""
    if _identity(probability, strength):
        return x
    shift_seed, pick_seed = _seeds(seed, 2)
    shape = tf.shape(x)
    limit = tf.cast(tf.round(strength * tf.cast(shape[1], tf.float32)), tf.int32)
    shift = tf.random.stateless_uniform([shape[0], 1], shift_seed, -limit, limit + 1, dtype=tf.int32)
    index = tf.clip_by_value(tf.range(shape[1])[None, :] - shift, 0, shape[1] - 1)  # (B, T)
    return _per_sample(x, tf.gather(x, index, batch_dims=1), probability, pick_seed)


def channel_dropout(
    x: tf.Tensor, seed: tf.Tensor, *, probability: float = 1.0, strength: float = 0.1
) -> tf.Tensor:
    """Zero each channel with probability `strength` (a dead sensor axis reads zero)."""
    if _identity(probability, strength):
        return x
    drop_seed, pick_seed = _seeds(seed, 2)
    keep = tf.random.stateless_uniform([tf.shape(x)[0], 1, x.shape[-1]], drop_seed) >= strength  # (B, 1, C)
    return _per_sample(x, x * tf.cast(keep, x.dtype), probability, pick_seed)
