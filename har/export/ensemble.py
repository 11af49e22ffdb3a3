"""The fold models of a cross-validated run averaged inside one graph (`export.ensemble=true`).

The bundle keeps one preprocessing step: the manifest's normalisation (the refit's). Inside
the graph each fold model first gets its own normalisation back, as one per-channel affine
map (x_refit * std_refit + mean_refit - mean_fold) / std_fold, then the k softmax outputs are
averaged. Everything is builtin TFLite ops (MUL, ADD, the fold models' ops, MEAN).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from har.config import ConfigError
from har.models import load
from har.training import RunFolder


def fold_dirs(run_dir: Path) -> list[RunFolder]:
    """The finished folds of a cross-validated run, in order."""
    folds = RunFolder(run_dir).folds()
    finished = [f for f in folds if f.checkpoint.is_file() and f.data.is_file()]
    if not finished or len(finished) != len(folds):
        raise ConfigError(
            f"ensemble=true: {run_dir} has no finished folds (train it with validation=subject_kfold)"
        )
    return finished


def _normaliser(folder: RunFolder) -> tuple[np.ndarray, np.ndarray]:
    stored = folder.read_data()["normaliser"]
    return np.asarray(stored["mean"], np.float32), np.asarray(stored["std"], np.float32)


def build_ensemble(run_dir: Path) -> keras.Model:
    """One Keras model: input normalised as the run's (refit's) manifest says, output the fold mean.

    Raises:
        ConfigError: the run has no finished folds.
    """
    mean, std = _normaliser(RunFolder(run_dir))
    members = []
    inputs = None
    for number, folder in enumerate(fold_dirs(run_dir), start=1):
        model = load(folder.checkpoint)
        if inputs is None:
            inputs = keras.Input(shape=model.input_shape[1:], name="window")  # (B, T, C)
        fold_mean, fold_std = _normaliser(folder)
        # (x * std + mean - fold_mean) / fold_std, per channel
        renormalise = keras.layers.Rescaling(
            scale=(std / fold_std).tolist(),
            offset=((mean - fold_mean) / fold_std).tolist(),
            name=f"fold_{number}_normalise",
        )
        member = keras.Model(model.inputs[0], model.outputs[0], name=f"fold_{number}")
        members.append(member(renormalise(inputs)))  # (B, K)
    outputs = keras.layers.Average(name="probabilities", dtype="float32")(members)
    return keras.Model(inputs, outputs, name=f"ensemble_of_{len(members)}_folds")
