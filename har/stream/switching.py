"""Switching costs learnt from train labels: the HMM the `viterbi` decoder runs.

A run's train recordings, looked at every hop, give how often one class follows another
(add-one counts, so a switch never seen is expensive, not impossible) and how common each
class is. Unlabelled samples (a transition between two hapt activities when the model has
six classes) are skipped: the classes on either side count as one switch. Only the train
subjects of the bundle's source run are read, so validation and test never shape the costs.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from har.config import instantiate
from har.data import UNLABELLED, DataError, resample
from har.io import write_json
from har.training import RunFolder


@dataclass(frozen=True)
class SwitchingModel:
    """log P(next class | class) one hop later, and log class frequencies (K,)."""

    class_names: list[str]
    hop_s: float
    log_transitions: np.ndarray  # (K, K), rows sum to 1 in probability
    log_priors: np.ndarray  # (K,)

    def to_dict(self) -> dict:
        return {
            "class_names": self.class_names,
            "hop_s": self.hop_s,
            "transitions": np.exp(self.log_transitions).tolist(),
            "priors": np.exp(self.log_priors).tolist(),
        }

    def save(self, path: str | Path) -> Path:
        return write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> SwitchingModel:
        try:
            payload = json.loads(Path(path).read_text())
            return cls(
                list(payload["class_names"]),
                float(payload["hop_s"]),
                np.log(np.asarray(payload["transitions"], dtype=np.float64)),
                np.log(np.asarray(payload["priors"], dtype=np.float64)),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DataError(f"{path}: not a switching model ({type(error).__name__}: {error})") from error


def learn_switching(
    label_sequences: list[np.ndarray], class_names: list[str], *, hop: int, hop_s: float
) -> SwitchingModel:
    """Count class-to-class steps `hop` samples apart in per-sample label sequences."""
    k = len(class_names)
    counts = np.ones((k, k))  # add-one: unseen switches stay possible
    frequencies = np.ones(k)
    for labels in label_sequences:
        sampled = labels[::hop]
        sampled = sampled[sampled != UNLABELLED]
        np.add.at(counts, (sampled[:-1], sampled[1:]), 1)
        frequencies += np.bincount(sampled, minlength=k)
    transitions = counts / counts.sum(axis=1, keepdims=True)
    return SwitchingModel(
        list(class_names), hop_s, np.log(transitions), np.log(frequencies / frequencies.sum())
    )


@functools.lru_cache(maxsize=4)  # one dataset load per run, however many streams are tracked
def switching_from_run(run_dir: str | Path) -> SwitchingModel:
    """Learn from the train subjects of a finished `har-train` run (its config.yaml and data.json)."""
    folder = RunFolder(run_dir)
    for path in (folder.config, folder.data):
        if not path.is_file():
            raise DataError(
                f"{path}: missing; the viterbi decoder learns its switching costs from the "
                "bundle's source run (or give decoder.switching=<switching.json>)"
            )
    data_cfg = folder.read_config().data
    summary = folder.read_data()
    train_subjects = set(summary["splits"]["train"]["subjects"])
    recordings = instantiate(data_cfg.source, "data.source").load()
    # the rate the run trained at, as data.json recorded it (data.rate_hz may be `auto`)
    rate_hz, hop_s = float(summary.get("rate_hz", data_cfg.rate_hz)), float(data_cfg.hop_s)
    hop = int(round(hop_s * rate_hz))
    sequences = [resample(r, rate_hz).labels for r in recordings.recordings if r.subject in train_subjects]
    if not sequences:
        raise DataError(f"{run_dir}: no recording of its train subjects {sorted(train_subjects)}")
    return learn_switching(sequences, recordings.class_names, hop=hop, hop_s=hop_s)
