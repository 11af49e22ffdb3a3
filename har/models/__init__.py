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

from pathlib import Path

from har.models._checks import check_length, check_positive, check_rate
from har.models.training_windows import TrainingWindows

__all__ = ["TrainingWindows", "check_length", "check_positive", "check_rate", "load"]


def load(path: str | Path, *, compile: bool = True):
    """A saved model, with har's own layers (`har.models.layers`) known to Keras."""
    import keras

    import har.models.layers  # noqa: F401  (registers the shared layers)
    import har.models.minirocket  # noqa: F401  (and MiniRocket's transform)

    return keras.models.load_model(path, compile=compile)
