"""What every builder is handed besides the shapes: the run's training windows (`data=`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
