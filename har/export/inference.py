"""Reference inference: raw samples in canonical units -> probabilities, as an app would do it.

Only the bundle is used: the manifest says the channel order, units, rate, window and hop
and the normalisation; nothing is taken from the training code. The tracker runs this.
"""

from __future__ import annotations

import numpy as np

from har.export.bundle import Bundle
from har.export.convert import make_interpreter


class Predictor:
    """A LiteRT interpreter of one bundle variant with the manifest's preprocessing."""

    def __init__(self, bundle: Bundle, variant: str = "float16", *, num_threads: int = 1) -> None:
        manifest = bundle.manifest
        self.manifest = manifest  # the tracker's decoders read units and the source run from it
        self.folder = bundle.folder
        self.class_names = bundle.class_names
        self.rate_hz = float(manifest["rate_hz"])
        self.window = int(manifest["window"])
        self.hop = int(manifest["hop"])
        self.channels = list(manifest["channels"])
        self.mean = np.asarray(manifest["normalisation"]["mean"], dtype=np.float32)
        self.std = np.asarray(manifest["normalisation"]["std"], dtype=np.float32)
        self.interpreter = make_interpreter(bundle.model(variant), num_threads=num_threads)
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]

    def preprocess(self, samples: np.ndarray) -> np.ndarray:
        """(window, C) raw samples in the manifest's channels and units -> (1, window, C) normalised float32."""
        samples = np.asarray(samples, dtype=np.float32)
        if samples.shape != (self.window, len(self.channels)):
            raise ValueError(
                f"expected raw samples of shape ({self.window}, {len(self.channels)}), got {samples.shape}"
            )
        return ((samples - self.mean) / self.std)[None]

    def predict_window(self, samples: np.ndarray) -> np.ndarray:
        """Class probabilities (K,) for one window of raw samples."""
        self.interpreter.set_tensor(self.input, self.preprocess(samples))
        self.interpreter.invoke()
        return np.array(self.interpreter.get_tensor(self.output)[0])

    def predict_recording(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (N, K) of every full window, every hop, and the window starts (N,)."""
        starts = np.arange(0, len(samples) - self.window + 1, self.hop)
        probabilities = (
            np.stack([self.predict_window(samples[s : s + self.window]) for s in starts])
            if len(starts)
            else np.zeros((0, len(self.class_names)))
        )
        return probabilities, starts
