"""A ring buffer that turns chunks of samples into the windows offline windowing would cut."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class RingBuffer:
    """Emit a window ending at sample n whenever n >= window and (n - window) % hop == 0.

    Those are exactly the windows `har.data.windowing.window_starts` cuts from the whole
    recording, whatever the chunk sizes, because only the sample count decides.
    """

    def __init__(self, window: int, hop: int, channels: int) -> None:
        if window < 1 or hop < 1:
            raise ValueError(f"window={window}, hop={hop}: both must be positive")
        self.window, self.hop, self.channels = window, hop, channels
        self.history = np.zeros((0, channels), dtype=np.float32)  # the last window - 1 samples
        self.count = 0  # samples pushed since the last reset

    def reset(self) -> None:
        """Forget the past (after a gap): the next window starts with the next sample."""
        self.history = self.history[:0]
        self.count = 0

    def push(self, chunk: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (index of the window's first sample since the last reset, window (T, C))."""
        chunk = np.asarray(chunk, dtype=np.float32).reshape(-1, self.channels)
        data = np.concatenate([self.history, chunk])  # (len(history) + k, C)
        offset = self.count - len(self.history)  # sample index of data[0]
        first = max(self.window, self.count + 1)
        for end in range(first, self.count + len(chunk) + 1):  # end: 1-based count of samples
            if (end - self.window) % self.hop == 0:
                start = end - self.window
                yield start, data[start - offset : end - offset]
        self.count += len(chunk)
        self.history = data[-(self.window - 1) :] if self.window > 1 else data[:0]
