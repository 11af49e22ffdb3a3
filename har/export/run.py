"""The run an export starts from: its folder, config, best checkpoint and recorded windows.

`har-export` takes a finished `har-train` run folder (a study's best trial is resolved to its
folder above export, by `har.sweep.with_best_run_dir`). The windows it evaluates on are the
run's own: the split its `data.json` recorded, and the data checked against that record.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from omegaconf import DictConfig, OmegaConf

from har.config import ConfigError
from har.data import SPLITS, DataError, Normaliser, WindowedData, load_windows
from har.models import load
from har.training import RunFolder


@dataclass
class Run:
    """A finished run, ready to export."""

    run_dir: Path
    config: DictConfig  # the run's resolved config.yaml
    model: keras.Model  # best.keras
    data: WindowedData  # its windows, with the normaliser it was trained with


def source_run(cfg: DictConfig) -> Path:
    """`run_dir`: the run folder to export (a study's best trial is resolved to its folder first)."""
    if cfg.run_dir is None:
        if cfg.study:
            raise ConfigError(
                f"study={cfg.study}: export reads run folders; resolve the study to its best trial's "
                "run_dir first (har.sweep.with_best_run_dir, as har-export does)"
            )
        raise ConfigError(
            "give run_dir=<a har-train run folder> or study=<name> storage=<journal file or URL>"
        )
    return Path(cfg.run_dir)


def load_run(run_dir: Path, *, cache_dir: str | None = None) -> Run:
    """The run's config, best checkpoint and windows; only a run that finished (it wrote metrics.json).

    A killed run keeps the checkpoint of its best epoch so far, which is complete (written
    atomically) but is not the run's result; exporting it would ship an unfinished model.

    Args:
        cache_dir: read the window cache from here instead of the run's `data.cache_dir`.

    Raises:
        ConfigError: not a finished run, or a checkpoint that does not load.
        DataError: the data no longer matches the run's `data.json` (see `run_windows`).
    """
    folder = RunFolder(run_dir)
    missing = folder.missing()
    if missing:
        raise ConfigError(f"run_dir={run_dir}: not a finished har-train run (missing {', '.join(missing)})")
    run_cfg = folder.read_config()
    try:
        model = load(folder.checkpoint)
    except Exception as error:  # keras, zipfile and h5py raise many types for a damaged file
        raise ConfigError(
            f"{folder.checkpoint}: cannot be loaded ({type(error).__name__}: {str(error)[:200]})"
        ) from None
    data_cfg = OmegaConf.create(OmegaConf.to_container(run_cfg.data, resolve=True))
    if cache_dir:
        data_cfg.cache_dir = cache_dir
    return Run(run_dir, run_cfg, model, run_windows(run_dir, data_cfg))


def run_windows(run_dir: Path, data_cfg: DictConfig) -> WindowedData:
    """The run's windows: split as its `data.json` recorded, refused if the data changed since.

    The windows are cut again from the source and split by the recorded subjects (so a
    changed split rule or seed cannot move a subject, and a refit's empty val stays empty).
    Their counts, classes, shapes, fingerprints and train statistics must then equal the
    record (keys an older data.json lacks are not compared): a source edited since training
    (a csv folder with a session added or changed) would otherwise give a bundle whose
    normalisation and test figures do not belong to its model.
    """
    path = RunFolder(run_dir).data
    recorded = json.loads(path.read_text())
    try:
        data = load_windows(data_cfg)
        splits = recorded.get("splits", {})
        if all("subjects" in splits.get(name, {}) for name in SPLITS):
            data = data.resplit({name: list(splits[name]["subjects"]) for name in SPLITS}, empty_val=True)
    except DataError as error:
        raise DataError(f"{path}: the run's data no longer loads as recorded ({error})") from None
    now = json.loads(json.dumps(data.summary()))  # the types data.json holds
    differences = _differences({key: recorded[key] for key in now if key in recorded}, now)
    normaliser = Normaliser(
        np.asarray(recorded["normaliser"]["mean"], np.float32),
        np.asarray(recorded["normaliser"]["std"], np.float32),
    )
    for name in ("mean", "std"):
        if not np.allclose(getattr(normaliser, name), getattr(data.normaliser, name), rtol=1e-5, atol=1e-6):
            differences.append(f"normaliser.{name}: the train windows' statistics differ")
    if differences:
        raise DataError(
            f"{path}: the data is no longer what this run was trained on ({'; '.join(differences[:4])}"
            f"{'; ...' if len(differences) > 4 else ''}); retrain, or restore the data the run used"
        )
    return dataclasses.replace(data, normaliser=normaliser)


def _differences(recorded: Any, now: Any, where: str = "") -> list[str]:
    """`key: recorded then, now` for every recorded leaf that differs now.

    Keys the record lacks (written by an older har) are not compared.
    """
    if isinstance(recorded, dict) and isinstance(now, dict):
        return [
            line
            for key in recorded
            for line in _differences(recorded[key], now.get(key), f"{where}.{key}" if where else key)
        ]
    return [] if recorded == now else [f"{where}: {_short(recorded)} then, {_short(now)} now"]


def _short(value: Any) -> str:
    text = str(value)
    return text[:12] + "..." if len(text) > 40 else text
