"""The run-folder contract: the one place that names the files of a `har-train` run folder.

    <run>/
      config.yaml            the resolved config the run was composed from
      data.json              classes, window, splits' subjects and counts, normaliser, and the fitted
                             movement detector (movement windows): what export needs
      metrics.json           written last: a run without it did not finish
      best.keras             the best epoch's checkpoint (the refit's last epoch under cross-validation)
      history.csv            one row per epoch, rewritten after each
      unfinished.txt         present only while training (says where a killed run stopped)
      confusion_<split>.png  and .npy, for each evaluated split
      synth_quality.json     the VAE's quality report, and synth_quality.png (with synth.ratio > 0)
      folds/fold-<i>/        under cross-validation: each fold is a run folder of its own

Training writes these files, and export, the sweep, ablations and the tracker read them, all
through `RunFolder`: no other module spells a file name of a run folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from har.io import write_csv, write_json, write_text

CONFIG = "config.yaml"
DATA = "data.json"
METRICS = "metrics.json"
CHECKPOINT = "best.keras"
HISTORY = "history.csv"
UNFINISHED = "unfinished.txt"
SYNTH_QUALITY = "synth_quality.json"
SYNTH_QUALITY_PLOT = "synth_quality.png"
FOLDS = "folds"
FOLD_PREFIX = "fold-"

# Every fixed name above: tests/test_layout.py checks that no other module spells one.
FILE_NAMES = (CONFIG, DATA, METRICS, CHECKPOINT, HISTORY, UNFINISHED, SYNTH_QUALITY, SYNTH_QUALITY_PLOT)
# What a finished run holds; export refuses a folder that lacks one.
FINISHED = (CHECKPOINT, CONFIG, DATA, METRICS)


@dataclass(frozen=True)
class RunFolder:
    """A run folder (or a fold's): the paths of its files, and their readers and writers."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def config(self) -> Path:
        return self.path / CONFIG

    @property
    def data(self) -> Path:
        return self.path / DATA

    @property
    def metrics(self) -> Path:
        return self.path / METRICS

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def history(self) -> Path:
        return self.path / HISTORY

    @property
    def unfinished(self) -> Path:
        return self.path / UNFINISHED

    @property
    def synth_quality(self) -> Path:
        return self.path / SYNTH_QUALITY

    @property
    def synth_quality_plot(self) -> Path:
        return self.path / SYNTH_QUALITY_PLOT

    def confusion(self, split: str, suffix: str = ".png") -> Path:
        """`confusion_<split>.png` (or `.npy`: the matrix itself)."""
        return self.path / f"confusion_{split}{suffix}"

    def fold(self, name: str) -> RunFolder:
        """The folder of fold `name` (`fold-<i>`), itself a run folder."""
        return RunFolder(self.path / FOLDS / name)

    def folds(self) -> list[RunFolder]:
        """The fold folders present, by fold number."""
        found = (self.path / FOLDS).glob(f"{FOLD_PREFIX}*")
        return [RunFolder(p) for p in sorted(found, key=lambda p: int(p.name.removeprefix(FOLD_PREFIX)))]

    def missing(self, names: tuple[str, ...] = FINISHED) -> list[str]:
        """Which of `names` (by default what a finished run holds) the folder lacks."""
        return [name for name in names if not (self.path / name).is_file()]

    def files(self) -> dict[str, Path]:
        """The run's main files that exist, by name (`TrainResult.paths`)."""
        names = (CHECKPOINT, METRICS, CONFIG, DATA, HISTORY, self.confusion("test").name)
        return {name: self.path / name for name in names if (self.path / name).exists()}

    def read_config(self) -> DictConfig:
        return OmegaConf.load(self.config)

    def read_data(self) -> dict[str, Any]:
        return json.loads(self.data.read_text())

    def read_detector(self) -> dict[str, Any] | None:
        """The movement detector fitted with the run's windows (None: sliding windows)."""
        return self.read_data().get("detector")

    def read_metrics(self) -> dict[str, Any]:
        return json.loads(self.metrics.read_text())

    def write_config(self, config: dict[str, Any]) -> None:
        write_text(self.config, OmegaConf.to_yaml(config))

    def write_data(self, data: dict[str, Any]) -> None:
        write_json(self.data, data)

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_json(self.metrics, metrics)

    def write_history(self, history: list[dict[str, Any]]) -> None:
        write_csv(self.history, history)
