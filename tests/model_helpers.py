"""Windows for model tests: what a builder is handed in a run, made of random numbers."""

from __future__ import annotations

import numpy as np

from har.data import Normaliser, WindowedData, WindowSet


def windowed(length: int = 100, num_classes: int = 7, n: int = 64) -> WindowedData:
    """Random raw-unit windows of every split: what the builders are handed, as in a run."""
    rng = np.random.default_rng(0)

    def split() -> WindowSet:
        return WindowSet(
            rng.normal(0.5, 2.0, (n, length, 6)).astype(np.float32),
            rng.integers(0, num_classes, n),
            np.zeros(n, dtype=np.int64),
        )

    train = split()
    return WindowedData(
        train=train,
        val=split(),
        test=split(),
        class_names=[f"class{k}" for k in range(num_classes)],
        subjects={"train": ["0"], "val": ["1"], "test": ["2"]},
        normaliser=Normaliser.fit(train.X),
        rate_hz=50.0,
        window=length,
        hop=length // 2,
    )
