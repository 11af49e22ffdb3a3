"""Network builders, one per file: `build(input_shape, num_classes, **params) -> keras.Model`.

Builders are pure: functional, uncompiled, no seeding, no globals. Their output is a float32
softmax, so mixed precision and TFLite conversion see the same head. Each raises
ValueError naming the parameter when the window is too short for the architecture.

Every builder is also handed the run's training windows (`data=`, a `TrainingWindows`): the
families with fitted layers (MiniRocket's biases, the statistics model's feature scaling) fit
them there, on the training split only; the trained networks ignore it.

The argument checks the builders share are public here: other builders (the VAE in
`har.synth`) use them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from har.models._checks import check_length, check_positive, check_rate

__all__ = ["TrainingWindows", "check_length", "check_positive", "check_rate", "load"]


@dataclass(frozen=True)
class TrainingWindows:
    """What a builder may fit on: the training split's raw-unit windows and how the model sees them.

    The model's input is normalised (`(raw - mean) / std` per channel, the run's normaliser,
    fit on the same windows); `normalised()` gives windows in that form. `X` is not copied.
    """

    X: np.ndarray  # (N, T, C) raw units
    channels: tuple[str, ...]
    units: dict[str, str] = field(default_factory=dict)
    mean: np.ndarray | None = None  # (C,) the normaliser; None: the model sees raw units
    std: np.ndarray | None = None  # (C,)

    def normalised(self, indices: np.ndarray | None = None) -> np.ndarray:
        """(n, T, C) float32 windows as the model sees them: all, or those at `indices`."""
        X = self.X if indices is None else self.X[indices]
        if self.mean is None:
            return X.astype(np.float32)
        return ((X - self.mean) / self.std).astype(np.float32)


def load(path: str | Path, *, compile: bool = True):
    """A saved model, with har's own layers (`har.models.layers`) known to Keras."""
    import keras

    import har.models.layers  # noqa: F401  (registers the shared layers)
    import har.models.minirocket  # noqa: F401  (and MiniRocket's transform)

    return keras.models.load_model(path, compile=compile)
