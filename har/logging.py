"""Weights & Biases logging: the only module that imports wandb.

Offline by default; every directory W&B would use under `~` is pointed inside the run
folder. The logger is a context manager, so the W&B run is finished also when training
raises (with a non-zero exit code, so the dashboard shows it failed).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


class NullLogger:
    """`logger=none`: logs nothing. Takes (and ignores) W&B's settings, so configs that set
    `logger.job_type` or `logger.group` compose with `logger=none` too."""

    run_id: str | None = None
    run_dir: Path | None = None

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


class WandbLogger(NullLogger):
    """One W&B run. Args mirror `wandb.init`; `mode` defaults to offline."""

    def __init__(
        self,
        *,
        project: str = "har",
        entity: str | None = None,
        mode: str = "offline",
        group: str | None = None,
        job_type: str = "train",
        tags: list[str] | None = None,
        log_checkpoint: bool = True,
    ) -> None:
        self.settings = dict(
            project=project, entity=entity, mode=mode, group=group, job_type=job_type, tags=list(tags or [])
        )
        self.log_checkpoint = log_checkpoint
        self.run = None

    def start(self, *, run_dir: Path, name: str, config: dict[str, Any]) -> WandbLogger:
        import wandb

        point_wandb_inside(run_dir)
        os.environ.setdefault("WANDB_SILENT", "true")
        self.run = wandb.init(
            dir=str(run_dir),
            name=name,
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
        artifact = wandb.Artifact(name=name, type=type, metadata=metadata or {})
        if Path(path).is_dir():
            artifact.add_dir(str(path))
        else:
            artifact.add_file(str(path))
        self.run.log_artifact(artifact)

    def finish(self, exit_code: int = 0) -> None:
        if self.run is not None:
            self.run.finish(exit_code=exit_code)
            self.run = None


# --- reading offline runs back ---------------------------------------------------------------
# wandb ships no reader of its `.wandb` record log. The format: a 7-byte file header, then
# LevelDB-log framing in 32 KiB blocks; each chunk is crc32 (4 bytes), length (uint16 LE),
# type (1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST), payload; assembled payloads are `Record` protos.

_BLOCK = 32 * 1024
_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def read_records(path: str | Path) -> Iterator[Any]:
    """Yield every `wandb_internal_pb2.Record` in an offline `.wandb` file."""
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    if len(data) < _HEADER or data[:4] != b":W&B":
        raise ValueError(f"{path}: not a W&B record log")
    offset, pending = _HEADER, b""
    while offset + _HEADER <= len(data):
        left_in_block = _BLOCK - offset % _BLOCK
        if left_in_block < _HEADER:  # block trailer padding
            offset += left_in_block
            continue
        checksum, length, kind = struct.unpack("<IHB", data[offset : offset + _HEADER])
        payload = data[offset + _HEADER : offset + _HEADER + length]
        offset += _HEADER + length
        if kind == 0 and length == 0:
            continue
        if zlib.crc32(bytes([kind]) + payload) & 0xFFFFFFFF != checksum:
            raise ValueError(f"{path}: bad checksum at byte {offset}")
        if kind == _FULL:
            pending = payload
        elif kind == _FIRST:
            pending = payload
            continue
        elif kind == _MIDDLE:
            pending += payload
            continue
        elif kind == _LAST:
            pending += payload
        record = wandb_internal_pb2.Record()
        record.ParseFromString(pending)
        pending = b""
        yield record


def run_file(run_dir: str | Path) -> Path:
    """The `.wandb` file of an offline run folder (`.../wandb/offline-run-*`)."""
    files = sorted(Path(run_dir).glob("*.wandb"))
    if len(files) != 1:
        raise FileNotFoundError(f"{run_dir}: expected one .wandb file, found {len(files)}")
    return files[0]


def _finished_records(run_dir: str | Path, wait_s: float) -> list[Any]:
    """The run's records once its exit record is written (or whatever is there after `wait_s`)."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        try:
            records = list(read_records(run_file(run_dir)))
            if any(r.WhichOneof("record_type") == "exit" for r in records):
                return records
        except (OSError, ValueError):  # not there yet, or its last chunk still being written
            if time.monotonic() >= deadline:
                raise
        if time.monotonic() >= deadline:
            return records
        time.sleep(0.2)


def read_run(run_dir: str | Path, *, wait_s: float = 30.0) -> dict[str, Any]:
    """Config, history rows and summary of an offline run, decoded from its record log.

    W&B's service may still be writing the log for a moment after `finish` returns; a run
    whose exit record is not there yet is read again, for up to `wait_s` seconds.
    """
    import json

    records = _finished_records(run_dir, wait_s)
    config: dict[str, Any] = {}
    history: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    run_info: dict[str, Any] = {}
    for record in records:
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run_info = {
                "id": record.run.run_id,
                "group": record.run.run_group,
                "job_type": record.run.job_type,
                "project": record.run.project,
            }
            for item in record.run.config.update:
                config[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "config":
            for item in record.config.update:
                config[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "history":
            history.append(
                {
                    item.key or "/".join(item.nested_key): json.loads(item.value_json)
                    for item in record.history.item
                }
            )
        elif kind == "summary":
            for item in record.summary.update:
                summary[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "exit":
            run_info["exit_code"] = record.exit.exit_code
    return {"run": run_info, "config": config, "history": history, "summary": summary}
