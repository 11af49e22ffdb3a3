"""A conditional VAE over normalised windows: Conv1D encoder and decoder, both told the class.

The encoder sees the window with its one-hot class broadcast over time as extra channels;
the decoder sees the latent code next to the one-hot class. Sampling a class is then
decoding `z ~ N(0, I)` with that class. Training maximises the ELBO with a KL weight that
warms up linearly from 0 to `beta`, so the decoder learns to reconstruct before the prior
pulls the codes together (without it, small datasets collapse to the class mean).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from har.models import check_positive


@dataclass
class FitHistory:
    """Per-epoch losses of a VAE fit (reconstruction per element, KL per window)."""

    reconstruction: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    seconds: float = 0.0


def build(
    input_shape: tuple[int, int],
    num_classes: int,
    *,
    latent_dim: int = 16,
    widths: tuple[int, ...] = (32, 64),
    kernel_size: int = 5,
) -> tuple[keras.Model, keras.Model]:
    """Encoder `(x, onehot) -> (z_mean, z_log_var)` and decoder `(z, onehot) -> x`.

    Each encoder block halves time (stride 2); the decoder mirrors it and crops back to T.

    Args:
        input_shape: (T, C) of the windows.
        num_classes: classes the VAE is conditioned on.
        latent_dim: size of the latent code.
        widths: filters per block, encoder order (the decoder uses them reversed).
        kernel_size: temporal kernel of every convolution.
    """
    widths = tuple(int(w) for w in widths)
    check_positive(latent_dim=latent_dim, kernel_size=kernel_size, blocks=len(widths))
    check_positive(**{f"widths[{i}]": w for i, w in enumerate(widths)})
    length, channels = input_shape
    reduced = math.ceil(length / 2 ** len(widths))  # time steps after the encoder

    window = keras.Input(shape=input_shape, name="window")  # (B, T, C)
    label = keras.Input(shape=(num_classes,), name="onehot")  # (B, K)
    x = layers.Concatenate()([window, layers.RepeatVector(length)(label)])  # (B, T, C + K)
    for width in widths:
        x = layers.Conv1D(width, kernel_size, strides=2, padding="same", activation="gelu")(x)
    x = layers.Flatten()(x)  # (B, reduced * widths[-1])
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    encoder = keras.Model([window, label], [z_mean, z_log_var], name="encoder")

    code = keras.Input(shape=(latent_dim,), name="z")
    label_in = keras.Input(shape=(num_classes,), name="onehot")
    y = layers.Concatenate()([code, label_in])
    y = layers.Dense(reduced * widths[-1], activation="gelu")(y)
    y = layers.Reshape((reduced, widths[-1]))(y)  # (B, reduced, W)
    for width in reversed(widths):
        y = layers.UpSampling1D(2)(y)
        y = layers.Conv1D(width, kernel_size, padding="same", activation="gelu")(y)
    y = layers.Cropping1D((0, reduced * 2 ** len(widths) - length))(y)  # (B, T, W)
    output = layers.Conv1D(channels, 1, name="window_out")(y)  # (B, T, C), normalised units
    decoder = keras.Model([code, label_in], output, name="decoder")
    return encoder, decoder


def fit(
    encoder: keras.Model,
    decoder: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    *,
    num_classes: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    beta: float,
    kl_warmup_epochs: int,
    seed: int,
    progress: bool = True,
) -> FitHistory:
    """Train encoder and decoder on normalised windows `X (N, T, C)` with labels `y (N,)`.

    Returns:
        Losses per epoch and the wall time.
    """
    check_positive(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate)
    if beta < 0 or kl_warmup_epochs < 0:
        raise ValueError(f"beta={beta}, kl_warmup_epochs={kl_warmup_epochs}: expected values >= 0")
    started = time.perf_counter()
    optimizer = keras.optimizers.Adam(learning_rate)
    weights = encoder.trainable_variables + decoder.trainable_variables
    kl_weight = tf.Variable(0.0, trainable=False, dtype=tf.float32)
    noise_seed = tf.Variable([seed, 0], dtype=tf.int64, trainable=False)

    @tf.function(reduce_retracing=True)
    def step(x, onehot):
        with tf.GradientTape() as tape:
            z_mean, z_log_var = encoder([x, onehot], training=True)
            epsilon = tf.random.stateless_normal(tf.shape(z_mean), seed=noise_seed)
            noise_seed.assign_add(tf.constant([0, 1], tf.int64))
            z = z_mean + tf.exp(0.5 * z_log_var) * epsilon
            reconstructed = decoder([z, onehot], training=True)
            # per window: squared error summed over (T, C); KL summed over the latent
            reconstruction = tf.reduce_mean(tf.reduce_sum(tf.square(x - reconstructed), axis=[1, 2]))
            kl = tf.reduce_mean(
                -0.5 * tf.reduce_sum(1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=1)
            )
            loss = reconstruction + kl_weight * kl
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return reconstruction, kl

    onehots = np.eye(num_classes, dtype=np.float32)[y]
    dataset = (
        tf.data.Dataset.from_tensor_slices((X.astype(np.float32), onehots))
        .shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    elements = X.shape[1] * X.shape[2]
    history = FitHistory()
    for epoch in range(epochs):
        warm = 1.0 if kl_warmup_epochs == 0 else min(1.0, (epoch + 1) / kl_warmup_epochs)
        kl_weight.assign(beta * warm)
        totals = np.zeros(2)
        batches = 0
        for x, onehot in dataset:
            totals += [float(v) for v in step(x, onehot)]
            batches += 1
        reconstruction, kl = totals / batches
        if not np.isfinite(reconstruction + kl):
            raise FloatingPointError(
                f"synth VAE loss is not finite at epoch {epoch + 1}; lower the learning rate"
            )
        history.reconstruction.append(float(reconstruction / elements))
        history.kl.append(float(kl))
        if progress and ((epoch + 1) % 10 == 0 or epoch + 1 == epochs):
            print(
                f"  vae epoch {epoch + 1:>3}/{epochs}  reconstruction/elem {reconstruction / elements:.4f}  "
                f"kl {kl:.2f}  beta {beta * warm:.2f}",
                flush=True,
            )
    history.seconds = time.perf_counter() - started
    return history


def sample(decoder: keras.Model, labels: np.ndarray, num_classes: int, seed: int) -> np.ndarray:
    """Decode one window per label from `z ~ N(0, I)`: (N, T, C) in normalised units."""
    latent_dim = decoder.inputs[0].shape[-1]
    z = np.random.default_rng(seed).standard_normal((len(labels), latent_dim)).astype(np.float32)
    onehots = np.eye(num_classes, dtype=np.float32)[labels]
    chunks = [decoder([z[i : i + 512], onehots[i : i + 512]]).numpy() for i in range(0, len(z), 512)]
    return (
        np.concatenate(chunks, dtype=np.float32)
        if chunks
        else np.zeros((0, *decoder.output_shape[1:]), np.float32)
    )
