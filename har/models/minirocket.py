"""MiniRocket (Dempster, Schmidt and Webb, KDD 2021) as Keras layers with a trained linear head.

The transform is fixed, not trained: 84 length-9 kernels (weights -1, and 2 at three of the nine
positions: every combination of three), each at several dilations over a random subset of the
channels; each (kernel, dilation) pair is compared with biases drawn from quantiles of its own
output on training windows, and PPV pooling (the share of time steps above a bias) gives one
feature per bias. Only the head (feature scaling fitted on training windows, dropout, softmax)
is trained, by har's trainer like any network, so augmentation, folds, sweeps and export apply.

Converted to TFLite it is convolutions, a compare and a mean: builtin ops only. The layout of
the fitted values follows aeon's `MiniRocket` (dilations, features per dilation, the padding
rule, the order of the features), so its parameters load here and its features are the
reference in `tests/models/test_minirocket.py`.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
from keras import layers, ops

from har.models._checks import check_length, check_positive, check_rate
from har.models.layers import Standardise
from har.models.training_windows import TrainingWindows

KERNEL_LENGTH = 9
# the 84 kernels: the positions of the three weights of 2 (the other six are -1)
KERNEL_POSITIONS = np.array(list(itertools.combinations(range(KERNEL_LENGTH), 3)))  # (84, 3)
NUM_KERNELS = len(KERNEL_POSITIONS)
GOLDEN_RATIO = (np.sqrt(5) + 1) / 2


def kernel_weights() -> np.ndarray:
    """(9, 84): column j is kernel j, -1 everywhere and 2 at its three positions."""
    weights = -np.ones((KERNEL_LENGTH, NUM_KERNELS), np.float32)
    for j, positions in enumerate(KERNEL_POSITIONS):
        weights[positions, j] = 2
    return weights


def fit_dilations(
    length: int, num_features: int, max_dilations_per_kernel: int
) -> tuple[np.ndarray, np.ndarray]:
    """Dilations spaced exponentially up to the window (`(length - 1) / 8`), and how many
    features (biases) each kernel gets at each: the paper's rule, as aeon's `_fit_dilations`."""
    per_kernel = num_features // NUM_KERNELS
    dilations_per_kernel = min(per_kernel, max_dilations_per_kernel)
    multiplier = per_kernel / dilations_per_kernel
    max_exponent = np.log2((length - 1) / (KERNEL_LENGTH - 1))
    dilations, counts = np.unique(
        np.logspace(0, max_exponent, dilations_per_kernel, base=2).astype(np.int32), return_counts=True
    )
    features = (counts * multiplier).astype(np.int32)
    for i in range(per_kernel - int(features.sum())):  # the remainder, one at a time from the first
        features[i % len(features)] += 1
    return dilations, features


def quantiles(n: int) -> np.ndarray:
    """The low-discrepancy sequence ({k * golden ratio} for k = 1..n) the biases are drawn at."""
    return ((np.arange(1, n + 1) * GOLDEN_RATIO) % 1).astype(np.float32)


def dilation_kernel(
    channel_sets: list[np.ndarray], dilation_index: int, channels: int, kernels: list[int]
) -> np.ndarray:
    """(9, C, len(kernels)): at dilation `dilation_index`, each of `kernels` with its weights on
    the channels of its (dilation, kernel) pair and zeros elsewhere (the sum over its subset)."""
    weights = kernel_weights()  # (9, 84)
    kernel = np.zeros((KERNEL_LENGTH, channels, len(kernels)), np.float32)
    for column, j in enumerate(kernels):
        kernel[:, channel_sets[dilation_index * NUM_KERNELS + j], column] = weights[:, j, None]
    return kernel


def is_padded(dilation_index: int, kernel_index: int) -> bool:
    """Half the (dilation, kernel) pairs see zero padding ('same'); the rest only the valid part."""
    return (dilation_index + kernel_index) % 2 == 0


@keras.saving.register_keras_serializable(package="har")
class MiniRocketFeatures(layers.Layer):
    """(B, T, C) -> (B, F): fixed dilated convolutions, compared with fitted biases, PPV-pooled.

    Per dilation the kernels split in two convolutions (padded: 'same'; unpadded: 'valid'),
    each (9, C, k) with the kernel's weights on its channels and zeros elsewhere (the sum over
    a channel subset). A value equal to its bias does not count (`>`, as in the paper's code).
    The features come out per dilation, padded kernels first, then unpadded, each kernel's
    biases in a row; `aeon_order()` maps them to the paper's order.
    """

    def __init__(self, dilations, features_per_dilation, **kwargs):
        super().__init__(**kwargs)
        self.dilations = [int(d) for d in dilations]
        self.features_per_dilation = [int(f) for f in features_per_dilation]

    def build(self, input_shape):
        channels = input_shape[-1]
        self.parts = []  # (dilation, padding, kernel weights, biases)
        for i, (dilation, features) in enumerate(zip(self.dilations, self.features_per_dilation)):
            for padding in ("same", "valid"):
                count = len(self.kernels(i, padding == "same"))
                kernel = self.add_weight(
                    shape=(KERNEL_LENGTH, channels, count),
                    initializer="zeros",
                    trainable=False,
                    name=f"kernel_{dilation}_{padding}",
                )
                biases = self.add_weight(
                    shape=(count, features),
                    initializer="zeros",
                    trainable=False,
                    name=f"biases_{dilation}_{padding}",
                )
                self.parts.append((dilation, padding, kernel, biases))

    @staticmethod
    def kernels(dilation_index: int, padded: bool) -> list[int]:
        return [j for j in range(NUM_KERNELS) if is_padded(dilation_index, j) == padded]

    def call(self, x):
        x = ops.cast(x, "float32")
        features = []
        for dilation, padding, kernel, biases in self.parts:
            convolved = ops.conv(x, kernel, padding=padding, dilation_rate=dilation)  # (B, T', k)
            above = ops.greater(convolved[..., None], biases)  # (B, T', k, f)
            ppv = ops.mean(ops.cast(above, "float32"), axis=1)  # (B, k, f)
            features.append(ops.reshape(ppv, (-1, biases.shape[0] * biases.shape[1])))
        return ops.concatenate(features, axis=-1)  # (B, F)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], NUM_KERNELS * sum(self.features_per_dilation))

    def get_config(self):
        return {
            **super().get_config(),
            "dilations": self.dilations,
            "features_per_dilation": self.features_per_dilation,
        }

    def set_parameters(self, channel_sets: list[np.ndarray], biases: np.ndarray) -> None:
        """Load the fitted transform, in the paper's (aeon's) layout.

        Args:
            channel_sets: per (dilation, kernel) pair, dilation-major, the channels it sums over.
            biases: (F,) in the paper's feature order (dilation, kernel, bias).
        """
        channels = self.parts[0][2].shape[1]
        values, start = [], 0
        for i, features in enumerate(self.features_per_dilation):
            per_kernel = biases[start : start + NUM_KERNELS * features].reshape(NUM_KERNELS, features)
            start += NUM_KERNELS * features
            for padded in (True, False):
                chosen = self.kernels(i, padded)
                values += [dilation_kernel(channel_sets, i, channels, chosen), per_kernel[chosen]]
        self.set_weights(values)

    def aeon_order(self) -> np.ndarray:
        """(F,) indices: `features[:, aeon_order()]` is in the paper's (aeon's) feature order."""
        position, order = 0, {}
        for i, features in enumerate(self.features_per_dilation):
            for padded in (True, False):
                for j in self.kernels(i, padded):
                    for b in range(features):
                        order[(i, j, b)] = position
                        position += 1
        return np.array([order[key] for key in sorted(order)])


def fit_transform(
    data: TrainingWindows,
    *,
    num_features: int,
    max_dilations_per_kernel: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """The paper's fit, on the training windows as the model sees them (normalised).

    Per (dilation, kernel) pair: 2^U(0, log2(min(C, 9) + 1)) channels at random, one training
    window at random, and biases at the pair's quantiles of its 'same' output on that window
    (rounded to the nearest float16, 2^-11 relative: the float16 model keeps them as they are).

    Returns:
        dilations, features per dilation, channel sets (dilation-major), biases (F,).
    """
    length, channels = data.X.shape[1:]
    rng = np.random.default_rng(seed)
    dilations, features = fit_dilations(length, num_features, max_dilations_per_kernel)
    pairs = len(dilations) * NUM_KERNELS
    sizes = (2 ** rng.uniform(0, np.log2(min(channels, 9) + 1), pairs)).astype(np.int32)
    channel_sets = [np.sort(rng.choice(channels, size, replace=False)) for size in sizes]
    levels = quantiles(NUM_KERNELS * int(features.sum()))
    biases, start = [], 0
    for i, (dilation, count) in enumerate(zip(dilations, features)):
        windows = data.normalised(rng.integers(len(data.X), size=NUM_KERNELS))  # (84, T, C): one per kernel
        kernel = dilation_kernel(channel_sets, i, channels, list(range(NUM_KERNELS)))  # (9, C, 84)
        convolved = ops.convert_to_numpy(
            ops.conv(windows, kernel, padding="same", dilation_rate=int(dilation))
        )
        for j in range(NUM_KERNELS):  # (T,) kernel j on its own window
            biases.append(np.quantile(convolved[j, :, j], levels[start : start + count]))
            start += count
    # Rounded to float16 here, so that the float16 export (which stores every constant in
    # float16) compares with the very biases Keras uses: its features equal the float32 ones.
    return dilations, features, channel_sets, np.concatenate(biases).astype(np.float16).astype(np.float32)


def build(
    input_shape: tuple[int, int],
    num_classes: int,
    *,
    data: TrainingWindows | None = None,
    num_features: int = 10_000,
    max_dilations_per_kernel: int = 32,
    dropout_rate: float = 0.0,
    scale_windows: int = 4096,
    seed: int = 0,
) -> keras.Model:
    """MiniRocket's fixed transform, fitted on `data`, then a trained linear (softmax) head.

    Args:
        input_shape: (T, C); T >= 9, the kernel length.
        num_classes: output classes.
        data: the training windows: the biases and the feature scaling are fitted on them.
        num_features: features to make (rounded down to a multiple of 84; the paper: 10,000).
        max_dilations_per_kernel: at most this many dilations (the paper: 32).
        dropout_rate: dropout on the features before the head.
        scale_windows: at most this many training windows (a seeded sample) fit the scaling.
        seed: the channel subsets and the windows the biases come from (a local generator).
    """
    check_positive(
        num_features=num_features,
        max_dilations_per_kernel=max_dilations_per_kernel,
        scale_windows=scale_windows,
    )
    check_rate(dropout_rate=dropout_rate)
    check_length(input_shape[0], KERNEL_LENGTH, "minirocket's length-9 kernels")
    if num_features < NUM_KERNELS:
        raise ValueError(f"num_features={num_features}: expected at least {NUM_KERNELS}, one per kernel")
    if data is None or len(data.X) == 0:
        raise ValueError("data: minirocket fits its biases on training windows, and none were given")
    dilations, features, channel_sets, biases = fit_transform(
        data, num_features=num_features, max_dilations_per_kernel=max_dilations_per_kernel, seed=seed
    )
    inputs = keras.Input(shape=input_shape, name="window")  # (B, T, C)
    transform = MiniRocketFeatures(dilations, features, name="minirocket", dtype="float32")
    x = transform(inputs)  # (B, F)
    transform.set_parameters(channel_sets, biases)
    sample = np.sort(np.random.default_rng(seed).permutation(len(data.X))[:scale_windows])
    scale = Standardise(name="feature_scale")
    x = scale(x)
    # in chunks: PPV compares every output with every bias, (chunk, T, F) at once
    chunks = [transform(data.normalised(part)) for part in np.array_split(sample, -(-len(sample) // 64))]
    scale.fit(np.concatenate([ops.convert_to_numpy(c) for c in chunks]))
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="minirocket")
