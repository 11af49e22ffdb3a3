"""Re-implementations of two peer classifiers, as aeon 1.6 defines them, for `peers.py`.

aeon cannot be installed next to har's dependencies: aeon 1.6.0 requires numba<0.64, whose
wheels require numpy<2.4, and pandas<3.1 (har is tested with numpy 2.4 and pandas 3.1); sktime
1.2.0 also requires pandas<3.1. These follow aeon's code and defaults instead:

- `MiniRocket`: Dempster et al. 2021, the multivariate transform of
  `aeon.transformations.collection.convolution_based.MiniRocket` (84 fixed length-9 kernels with
  weights -1 and 2, dilations up to (T-1)/8, a random channel subset per kernel and dilation,
  biases from quantiles of one random train window's convolution, PPV features, padding on
  every other kernel), then `StandardScaler(with_mean=False)` and
  `RidgeClassifierCV(alphas=logspace(-3, 3, 10))` as in aeon's `MiniRocketClassifier`. Here in
  NumPy, vectorised over windows and kernels (no numba); its random draws are not aeon's.
- `inception_time`: Ismail Fawaz et al. 2020, aeon's `InceptionTimeClassifier`: an ensemble of
  5 Inception networks (depth 6, 32 filters, kernels 40/20/10, bottleneck 32, max-pool branch,
  a residual connection every 3 modules), Adam 1e-3, batch 64, learning rate halved after 50
  epochs without a lower train loss, the weights of the lowest train loss kept; ensemble
  probabilities are the mean of the members'.

Inputs are har's windows `(N, T, C)`.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

KERNEL_POSITIONS = np.array(list(itertools.combinations(range(9), 3)))  # (84, 3): where a weight is 2
KERNEL_WEIGHTS = np.full((len(KERNEL_POSITIONS), 9), -1.0, dtype=np.float32)
KERNEL_WEIGHTS[np.arange(len(KERNEL_POSITIONS))[:, None], KERNEL_POSITIONS] = 2.0  # (84, 9)
NUM_KERNELS = len(KERNEL_POSITIONS)


def _dilations(
    length: int, num_features: int, max_dilations_per_kernel: int
) -> tuple[np.ndarray, np.ndarray]:
    """Dilations spread exponentially up to (T-1)/8, and how many features (biases) each gets."""
    per_kernel = num_features // NUM_KERNELS
    count = min(per_kernel, max_dilations_per_kernel)
    exponents = np.logspace(0, np.log2((length - 1) / 8), count, base=2).astype(np.int32)
    dilations, repeats = np.unique(exponents, return_counts=True)
    features = (repeats * per_kernel / count).astype(np.int32)
    for index in range(per_kernel - int(features.sum())):  # hand out the remainder in turn
        features[index % len(features)] += 1
    return dilations, features


def _convolve(projected: np.ndarray, dilation: int) -> np.ndarray:
    """The 84 kernels at `dilation` over channel sums `projected` (84, ..., T), zero padded."""
    length = projected.shape[-1]
    pad = 4 * dilation
    padded = np.pad(projected, [(0, 0)] * (projected.ndim - 1) + [(pad, pad)])
    weights = KERNEL_WEIGHTS.reshape((NUM_KERNELS,) + (1,) * (projected.ndim - 2) + (9,))
    output = np.zeros_like(projected)
    for position in range(9):  # output[t] = sum_j w_j x[t + (j - 4) d]
        start = position * dilation
        output += weights[..., position : position + 1] * padded[..., start : start + length]
    return output


class MiniRocket:
    """MiniRocket features + scaled ridge classifier (aeon's `MiniRocketClassifier` defaults)."""

    def __init__(self, *, num_features: int = 10_000, max_dilations_per_kernel: int = 32, seed: int = 0):
        self.num_features, self.max_dilations_per_kernel, self.seed = (
            num_features,
            max_dilations_per_kernel,
            seed,
        )

    def fit(self, X: np.ndarray, y: np.ndarray) -> MiniRocket:
        """Fit the transform (dilations, channel subsets, biases) and the classifier on (N, T, C)."""
        rng = np.random.default_rng(self.seed)
        windows = np.asarray(X, dtype=np.float32)
        X = windows.transpose(0, 2, 1)  # (N, C, T)
        count, channels, length = X.shape
        self.dilations, self.features_per_dilation = _dilations(
            length, self.num_features, self.max_dilations_per_kernel
        )
        golden = (np.sqrt(5) + 1) / 2
        quantiles = (np.arange(1, NUM_KERNELS * self.features_per_dilation.sum() + 1) * golden) % 1
        self.masks, self.biases, offset = [], [], 0
        for dilation, features in zip(self.dilations, self.features_per_dilation):
            sizes = (2 ** rng.uniform(0, np.log2(min(channels, 9) + 1), NUM_KERNELS)).astype(int)
            mask = np.zeros((NUM_KERNELS, channels), dtype=np.float32)  # (84, C): channels summed
            for kernel, size in enumerate(sizes):
                mask[kernel, rng.choice(channels, size, replace=False)] = 1
            examples = X[rng.integers(count, size=NUM_KERNELS)]  # one random train window per kernel
            output = _convolve(np.einsum("kct,kc->kt", examples, mask), int(dilation))  # (84, T)
            levels = quantiles[offset : offset + NUM_KERNELS * features].reshape(NUM_KERNELS, features)
            self.biases.append(
                np.stack([np.quantile(o, q) for o, q in zip(output, levels)]).astype(np.float32)
            )
            self.masks.append(mask)
            offset += NUM_KERNELS * features
        self.classifier = make_pipeline(
            StandardScaler(with_mean=False), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))
        )
        self.classifier.fit(self.transform(windows), y)
        return self

    def transform(self, X: np.ndarray, *, chunk: int = 256) -> np.ndarray:
        """PPV features (N, 84 * features per kernel) of windows (N, T, C)."""
        X = np.ascontiguousarray(X.transpose(0, 2, 1), dtype=np.float32)  # (N, C, T)
        return np.concatenate([self._features(X[i : i + chunk]) for i in range(0, len(X), chunk)])

    def _features(self, X: np.ndarray) -> np.ndarray:
        length = X.shape[-1]
        kernels = np.arange(NUM_KERNELS)
        columns = []
        for index, (dilation, mask, biases) in enumerate(zip(self.dilations, self.masks, self.biases)):
            output = _convolve(np.einsum("nct,kc->knt", X, mask), int(dilation))  # (84, N, T)
            pad = 4 * int(dilation)
            ppv = np.empty((NUM_KERNELS, len(X), biases.shape[1]), dtype=np.float32)
            for cropped in (False, True):  # every other kernel sees only the unpadded span
                chosen = kernels[(index + kernels) % 2 == int(cropped)]
                span = output[chosen][..., pad : length - pad] if cropped else output[chosen]
                ppv[chosen] = (span[..., None] > biases[chosen][:, None, None, :]).mean(axis=2)
            columns.append(ppv.transpose(1, 0, 2).reshape(len(X), -1))  # (N, 84 * features)
        return np.concatenate(columns, axis=1)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Ridge scores (N, K); their argmax is the prediction."""
        return self.classifier.decision_function(self.transform(X))


def _inception_module(x, *, filters: int, kernel_size: int, bottleneck: int):
    layers = keras.layers
    branch_input = layers.Conv1D(bottleneck, 1, padding="same", use_bias=False)(x) if x.shape[-1] > 1 else x
    branches = [
        layers.Conv1D(filters, kernel_size // 2**i, padding="same", use_bias=False)(branch_input)
        for i in range(3)
    ]
    pooled = layers.MaxPooling1D(3, strides=1, padding="same")(x)
    branches.append(layers.Conv1D(filters, 1, padding="same", use_bias=False)(pooled))
    x = layers.Concatenate(axis=-1)(branches)  # (B, T, 4 * filters)
    return layers.Activation("relu")(layers.BatchNormalization()(x))


def inception_network(
    input_shape: tuple[int, int],
    num_classes: int,
    *,
    depth: int = 6,
    filters: int = 32,
    kernel_size: int = 40,
    bottleneck: int = 32,
) -> keras.Model:
    """One Inception network of InceptionTime, uncompiled."""
    layers = keras.layers
    inputs = keras.Input(input_shape)  # (B, T, C)
    x = residual = inputs
    for index in range(depth):
        x = _inception_module(x, filters=filters, kernel_size=kernel_size, bottleneck=bottleneck)
        if index % 3 == 2:
            shortcut = layers.Conv1D(x.shape[-1], 1, padding="same", use_bias=False)(residual)
            x = layers.Activation("relu")(layers.Add()([layers.BatchNormalization()(shortcut), x]))
            residual = x
    outputs = layers.Dense(num_classes, activation="softmax")(layers.GlobalAveragePooling1D()(x))
    return keras.Model(inputs, outputs, name="inception_network")


class _KeepLowestLoss(keras.callbacks.Callback):
    """aeon's ModelCheckpoint(monitor="loss", save_best_only=True), kept in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.lowest, self.weights = np.inf, None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs["loss"] < self.lowest:
            self.lowest, self.weights = logs["loss"], self.model.get_weights()


def inception_time(
    X: np.ndarray, y: np.ndarray, num_classes: int, *, epochs: int, members: int = 5, seed: int = 0
) -> keras.Model:
    """Train `members` networks on (N, T, C) windows; one model averaging their probabilities."""
    networks = []
    for member in range(members):
        keras.utils.set_random_seed(seed + member)
        network = inception_network(X.shape[1:], num_classes)
        network.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        keep = _KeepLowestLoss()
        reduce = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=50, min_lr=1e-4)
        network.fit(X, y, batch_size=64, epochs=epochs, callbacks=[reduce, keep], verbose=0)
        network.set_weights(keep.weights)
        networks.append(network)
    inputs = keras.Input(X.shape[1:])
    outputs = [network(inputs) for network in networks]
    averaged = keras.layers.Average()(outputs) if members > 1 else outputs[0]
    return keras.Model(inputs, averaged, name="inception_time")
