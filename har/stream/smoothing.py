"""Probability smoothing over consecutive windows: moving average, EMA, k-of-n vote."""

from __future__ import annotations

from collections import deque

import numpy as np


class MovingAverage:
    """Mean of the last `size` probability vectors."""

    def __init__(self, *, size: int = 3) -> None:
        if size < 1:
            raise ValueError(f"size={size}: expected >= 1")
        self.size = size
        self.reset()

    def reset(self) -> None:
        self.recent: deque[np.ndarray] = deque(maxlen=self.size)

    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        self.recent.append(probabilities)
        return np.mean(self.recent, axis=0)


class Ema:
    """Exponential moving average with weight `alpha` on the newest window."""

    def __init__(self, *, alpha: float = 0.5) -> None:
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha={alpha}: expected a value in (0, 1]")
        self.alpha = alpha
        self.reset()

    def reset(self) -> None:
        self.state: np.ndarray | None = None

    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        self.state = (
            probabilities
            if self.state is None
            else self.alpha * probabilities + (1 - self.alpha) * self.state
        )
        return self.state


class Vote:
    """k-of-n: a class wins when it is the argmax of at least `k` of the last `n` windows;
    otherwise the newest probabilities stand. Returns a probability vector either way."""

    def __init__(self, *, k: int = 2, n: int = 3) -> None:
        if not 1 <= k <= n:
            raise ValueError(f"k={k}, n={n}: expected 1 <= k <= n")
        self.k, self.n = k, n
        self.reset()

    def reset(self) -> None:
        self.recent: deque[np.ndarray] = deque(maxlen=self.n)

    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        self.recent.append(probabilities)
        votes = np.bincount([p.argmax() for p in self.recent], minlength=len(probabilities))
        winner = int(votes.argmax())
        if votes[winner] < self.k:
            return probabilities
        out = np.mean(self.recent, axis=0)
        out[winner] = max(out[winner], out.max() + 1e-6)  # make the winner the argmax
        return out / out.sum()


class NoSmoothing:
    def reset(self) -> None:
        pass

    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        return probabilities
