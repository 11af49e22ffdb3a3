"""Weights & Biases logging: the only module that imports wandb.

Offline by default; every directory W&B would use under `~` is pointed inside the run
folder. The logger is a context manager, so the W&B run is finished also when training
raises (with a non-zero exit code, so the dashboard shows it failed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np


class NullLogger:
    """`logger=none`: logs nothing. Takes (and ignores) W&B's settings, so configs that set
    `logger.job_type` or `logger.group` compose with `logger=none` too."""

    run_id: str | None = None
    run_dir: Path | None = None
    name: str | None = None  # the run's name when its caller set one (`logger.name`)
    group: str | None = None  # the study or ablation the run belongs to (`logger.group`)

    def __init__(self, **settings: Any) -> None:
        del settings

    def start(self, *, run_dir: Path, name: str, config: dict[str, Any]) -> NullLogger:
        return self

    def log_epoch(self, epoch: int, metrics: dict[str, float], *, step: int | None = None) -> None:
        """One epoch's metrics; `step` (default: the epoch) keeps counting over a run's folds."""

    def log_summary(self, metrics: dict[str, Any]) -> None:
        pass

    def log_confusion(
        self, split: str, y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str], image: Path
    ) -> None:
        pass

    def log_image(self, key: str, path: Path) -> None:
        pass

    def log_table(self, key: str, columns: list[str], rows: list[list[Any]]) -> None:
        pass

    def log_artifact(
        self, path: Path, *, name: str, type: str, metadata: dict[str, Any] | None = None
    ) -> None:
        pass

    def finish(self, exit_code: int = 0) -> None:
        pass

    def __enter__(self) -> NullLogger:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        # A graceful stop (a pruned trial) is a clean finish; any other exception is a failure.
        self.finish(0 if kind is None or getattr(error, "graceful", False) else 1)


def point_wandb_inside(run_dir: Path) -> Path:
    """Set W&B's directories inside `run_dir` so nothing is written under `~`."""
    base = Path(run_dir)
    for variable, sub in (
        ("WANDB_DIR", ""),
        ("WANDB_CACHE_DIR", "wandb/.cache"),
        ("WANDB_DATA_DIR", "wandb/.data"),
        ("WANDB_CONFIG_DIR", "wandb/.config"),
        ("WANDB_ARTIFACT_DIR", "wandb/.artifacts"),
    ):
        path = base / sub
        path.mkdir(parents=True, exist_ok=True)
        os.environ[variable] = str(path)
    return base / "wandb"


def artifact_name(text: str) -> str:
    """`text` as a W&B artifact name (letters, digits, '-', '_' and '.' only)."""
    return re.sub(r"[^\w.-]", "-", text)


class WandbLogger(NullLogger):
    """One W&B run. Args mirror `wandb.init`; `mode` defaults to offline.

    `name`, when set, wins over the name `start` is given (a run folder's name): sweeps and
    ablations name their runs after the study and the trial or cell, so a dashboard reads
    `<study>-trial-3` and `<study>-trial-3-refit` rather than `0003` twice.
    """

    def __init__(
        self,
        *,
        project: str = "har",
        entity: str | None = None,
        mode: str = "offline",
        name: str | None = None,
        group: str | None = None,
        job_type: str = "train",
        tags: list[str] | None = None,
        log_checkpoint: bool = True,
    ) -> None:
        self.settings = dict(
            project=project, entity=entity, mode=mode, group=group, job_type=job_type, tags=list(tags or [])
        )
        self.log_checkpoint = log_checkpoint
        self.name, self.group = name, group
        self.run = None

    def start(self, *, run_dir: Path, name: str, config: dict[str, Any]) -> WandbLogger:
        import wandb

        point_wandb_inside(run_dir)
        os.environ.setdefault("WANDB_SILENT", "true")
        self.run = wandb.init(
            dir=str(run_dir),
            name=self.name or name,
            config=config,
            reinit="create_new",
            settings=wandb.Settings(console="off", silent=True, x_disable_stats=True),
            **self.settings,
        )
        self.run_id = self.run.id
        self.run_dir = Path(self.run.dir).parent
        return self

    def log_epoch(self, epoch: int, metrics: dict[str, float], *, step: int | None = None) -> None:
        self.run.log({"epoch": epoch, **metrics}, step=epoch if step is None else step)

    def log_summary(self, metrics: dict[str, Any]) -> None:
        self.run.summary.update(metrics)
        if metrics.get("pruned"):
            self.run.tags = (*self.run.tags, "pruned")

    def log_confusion(
        self, split: str, y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str], image: Path
    ) -> None:
        import wandb

        plot = wandb.plot.confusion_matrix(
            y_true=y_true.tolist(), preds=y_pred.tolist(), class_names=class_names
        )
        self.run.log(
            {f"{split}/confusion_matrix": plot, f"{split}/confusion_matrix_image": wandb.Image(str(image))}
        )

    def log_image(self, key: str, path: Path) -> None:
        import wandb

        self.run.log({key: wandb.Image(str(path))})

    def log_table(self, key: str, columns: list[str], rows: list[list[Any]]) -> None:
        import wandb

        self.run.log({key: wandb.Table(columns=columns, data=rows)})

    def log_artifact(
        self, path: Path, *, name: str, type: str, metadata: dict[str, Any] | None = None
    ) -> None:
        import wandb

        if type == "model" and not self.log_checkpoint:
            return
        artifact = wandb.Artifact(name=artifact_name(name), type=type, metadata=metadata or {})
        if Path(path).is_dir():
            artifact.add_dir(str(path))
        else:
            artifact.add_file(str(path))
        self.run.log_artifact(artifact)

    def finish(self, exit_code: int = 0) -> None:
        if self.run is not None:
            self.run.finish(exit_code=exit_code)
            self.run = None
